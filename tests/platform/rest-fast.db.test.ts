import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, verifyJwt } from "@review/local-supabase";
import { FastRest, type Caller } from "@review/local-supabase/rest/fast/index";
import { FAST_TYPES } from "@review/local-supabase/rest/fast/schema";
import { readApiConfig } from "@review/local-supabase/supabase-config";
import { repoRoot } from "@review/local-supabase/env";
import { createOrg } from "../helpers/org.ts";
import { startOwnStack } from "../helpers/own-stack.ts";
import { createUser, sql, waitFor, type TestUser } from "../helpers/stack.ts";

/**
 * The REST fast path must answer exactly as lite does, or leave the request to lite. This suite runs
 * a stack with the fast path off, so its HTTP answers are lite's, and asks a FastRest on the same
 * database the same questions: same status, same headers that matter, same JSON.
 */
let stack: Awaited<ReturnType<typeof startOwnStack>>;
let fast: FastRest;
let alice: TestUser;
let bob: TestUser;
let orgId: string;

beforeAll(async () => {
  stack = await startOwnStack("rest-fast", {}, { restFastPath: false });
  // More rows than [api] max_rows, made before the fast path starts: a table made later sets off schema
  // reloads, during which the fast path passes requests on, and a later test could meet one.
  // fast_doubles: a double that is not exact in binary (this stack is the suite's own, so probe tables harm nobody).
  await sql(stack).unsafe(`create table public.fast_many (id int primary key); insert into public.fast_many select generate_series(1, ${readApiConfig(repoRoot).maxRows + 100});
    create table public.fast_doubles (key text primary key, tokens double precision); alter table public.fast_doubles enable row level security`);
  await waitFor(async () => (await viaLite({ path: "/fast_many?select=id&limit=1", key: "service" })).status === 200, { message: "lite serving fast_many" });
  await waitFor(async () => (await viaLite({ path: "/fast_doubles?select=key&limit=1", key: "service" })).status === 200, { message: "lite serving fast_doubles" });
  fast = new FastRest(stack.dbUrl, createLogger("rest-fast", "error"), { maxRows: readApiConfig(repoRoot).maxRows });
  await fast.start();
  const [org, outsider] = await Promise.all([createOrg(stack, "fast"), createUser(stack, "bob")]);
  [alice, bob, orgId] = [org.users.admin, outsider, org.id];
  const rows = Array.from({ length: 24 }, (_, i) => ({
    org_id: orgId,
    rating: (i % 5) + 1,
    query: `Question ${i} about ${i % 2 ? "billing" : "shipping"}`,
    response: `Answer ${i}`,
    comment: i % 4 === 0 ? null : `comment ${i}`,
    external_id: `ext-${String(i).padStart(2, "0")}`,
    labels: i % 3 === 0 ? ["urgent"] : [],
    status: (["new", "triaged"] as const)[i % 2],
  }));
  // external_id is the customer's app's (ingest, the service role): seeded as the owner.
  await sql(stack)`insert into public.feedback ${sql(stack)(rows)}`;
  // Values whose rendering is easy to get wrong: a real and a double that are not exact in binary,
  // array items that need quoting, nested JSON, a timestamp with microseconds.
  await sql(stack)`insert into public.jobs (org_id, kind, name, status, trained_on_tags, config, progress, result, cancel_requested, started_at)
    values (${orgId}, 'fine_tune', 'Render check', 'running', ${["a b", "c,d", 'quote"d', "back\\slash"]}, ${sql(stack).json({ lr: 0.1, tags: ["x", null], deep: { n: -1.5e-7 } })},
            33.3, null, true, '2026-11-22 10:00:00.123456+00')`;
  await sql(stack)`insert into public.fast_doubles (key, tokens) values ('fast-path-check', ${0.1 + 0.2})`;
}, 120_000);

afterAll(async () => {
  await fast?.close();
  await stack?.dispose();
});

type Call = { method?: string; path: string; token?: string; key?: "anon" | "service"; headers?: Record<string, string>; body?: unknown };
type Answer = { status: number; headers: Record<string, string | undefined>; body: unknown };

const COMPARED_HEADERS = ["content-type", "content-range", "content-location", "preference-applied"];

function requestHeaders(call: Call): Record<string, string> {
  const key = call.key === "service" ? stack.serviceRoleKey : stack.anonKey;
  const h: Record<string, string> = { apikey: key, ...(call.headers ?? {}) };
  const bearer = call.token ?? (call.key === "service" ? stack.serviceRoleKey : undefined);
  if (bearer) h.authorization = `Bearer ${bearer}`;
  if (call.body !== undefined) h["content-type"] = "application/json";
  return h;
}

function parse(text: string): unknown {
  if (text === "") return "";
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function viaLite(call: Call): Promise<Answer> {
  const r = await fetch(`${stack.apiUrl}/rest/v1${call.path}`, {
    method: call.method ?? "GET",
    headers: requestHeaders(call),
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const headers = Object.fromEntries(COMPARED_HEADERS.map((h) => [h, r.headers.get(h) ?? undefined]));
  return { status: r.status, headers, body: parse(await r.text()) };
}

async function callerOf(call: Call): Promise<Caller> {
  const h = requestHeaders(call);
  const token = h.authorization?.slice("Bearer ".length) ?? h.apikey!;
  const v = await verifyJwt(token, stack.jwtSecret);
  if (!v.ok) throw new Error("test token did not verify");
  return { role: v.claims.role as Caller["role"], claims: v.claims as Record<string, unknown> };
}

async function viaFast(call: Call, engine: FastRest = fast): Promise<Answer | null> {
  const url = new URL(`http://x/rest/v1${call.path}`);
  const h = requestHeaders(call);
  const answer = await engine.serve(
    {
      method: call.method ?? "GET",
      path: url.pathname.slice("/rest/v1".length),
      search: url.search.slice(1),
      query: url.searchParams,
      header: (name) => h[name],
      body: Buffer.from(call.body === undefined ? "" : JSON.stringify(call.body)),
    },
    await callerOf(call),
  );
  if (!answer) return null;
  return { status: answer.status, headers: Object.fromEntries(COMPARED_HEADERS.map((k) => [k, answer.headers[k]])), body: parse(answer.body) };
}

/** Asserts the fast path answers `call` (it must not pass it on) exactly as lite does. */
async function expectSame(call: Call) {
  const [lite, quick] = [await viaLite(call), await viaFast(call)];
  expect(quick, `${call.path}: the fast path passed it to lite`).not.toBeNull();
  expect(quick).toEqual(lite);
  return lite;
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe("REST fast path: same answers as lite", () => {
  it("renders every table the way lite does, for every column type it serves", async () => {
    const relations = (await sql(stack)`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'v') order by 1`) as unknown as Array<{ name: string }>;
    const columns = (await sql(stack)`
      select c.relname as relation, a.attname as column, case t.typtype when 'e' then 'enum' when 'd' then 'domain' else t.typname end as type
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped join pg_type t on t.oid = a.atttypid
      where n.nspname = 'public'`) as unknown as Array<{ relation: string; column: string; type: string }>;
    const served: string[] = [];
    const compared = new Set<string>(); // types with at least one non-null value compared
    for (const { name } of relations) {
      const call: Call = { path: `/${name}?select=*`, key: "service" };
      const [lite, quick] = [await viaLite(call), await viaFast(call)];
      if (!quick) continue; // a column type lite renders differently: left to lite
      // Without an order the two engines may return rows in different orders.
      const sorted = (b: unknown) => (Array.isArray(b) ? b.map((r) => JSON.stringify(r)).sort() : b);
      expect({ ...quick, body: sorted(quick.body) }, name).toEqual({ ...lite, body: sorted(lite.body) });
      served.push(name);
      for (const c of columns.filter((c) => c.relation === name)) {
        if ((lite.body as Array<Record<string, unknown>>).some((row) => row[c.column] !== null)) compared.add(c.type);
      }
    }
    // Every type the fast path renders was compared on real values.
    expect([...compared].sort()).toEqual(expect.arrayContaining([...FAST_TYPES, "enum", "domain"]));
    console.log(`fast path serves select=* on ${served.length} of ${relations.length} relations; left to lite: ${relations.map((r) => r.name).filter((n) => !served.includes(n)).join(", ")}`);
    // The tables behind the inbox, the case room and the jobs screens are all served.
    expect(served).toEqual(expect.arrayContaining(["feedback", "organizations", "memberships", "comments", "improvement_cases", "jobs"]));
  });

  it("filters, orders and pages as lite does", async () => {
    const base = { org_id: `eq.${orgId}` };
    const calls: Array<Record<string, string>> = [
      { select: "id,rating,query,status,created_at", ...base, status: "eq.new", rating: "lte.3", order: "created_at.desc", limit: "5" },
      { select: "external_id,rating", ...base, rating: "neq.2", order: "external_id" },
      { select: "external_id", ...base, rating: "gt.3", order: "external_id.desc" },
      { select: "external_id", ...base, rating: "gte.4", external_id: "lt.ext-10", order: "external_id" },
      { select: "external_id,query", ...base, query: "like.*billing*", order: "external_id", limit: "3" },
      { select: "external_id,query", ...base, query: "ilike.QUESTION 1*", order: "external_id" },
      { select: "external_id,comment", ...base, comment: "is.null", order: "external_id" },
      { select: "external_id", ...base, external_id: "in.(ext-01,ext-03,nope)", order: "external_id" },
      { select: "external_id,comment", ...base, order: "comment.desc.nullslast,external_id", limit: "6" },
      { select: "external_id,comment", ...base, order: "comment.asc.nullsfirst,external_id", limit: "6" },
      { select: "external_id,labels", ...base, order: "external_id", offset: "20", limit: "10" },
      { select: "external_id", ...base, external_id: "eq.missing" },
      { ...base, external_id: "eq.ext-05" },
    ];
    for (const params of calls) await expectSame({ path: `/feedback?${q(params)}`, token: alice.accessToken });
  });

  it("returns at most max_rows rows, whatever the limit, as lite (and PostgREST) do", async () => {
    const maxRows = readApiConfig(repoRoot).maxRows;
    for (const path of ["/fast_many?select=id&order=id", "/fast_many?select=id&order=id&limit=5000", "/fast_many?select=id&order=id.desc&offset=50", "/fast_many?select=id&order=id&offset=1050"]) {
      await expectSame({ path, key: "service" });
    }
    expect(((await viaFast({ path: "/fast_many?select=id&order=id", key: "service" }))!.body as unknown[]).length).toBe(maxRows);
  });

  it("applies row-level security as lite does: anon and non-members see nothing", async () => {
    const path = `/feedback?${q({ select: "id", org_id: `eq.${orgId}` })}`;
    expect((await expectSame({ path, token: alice.accessToken })).body).toHaveLength(24);
    // anon holds no privilege on feedback at all (the migrations grant only what each role needs): the
    // fast path leaves the refusal to lite, which answers as PostgREST does.
    expect(await viaFast({ path })).toBeNull();
    expect(await viaLite({ path })).toMatchObject({ status: 401, body: { code: "42501" } });
    expect((await expectSame({ path, token: bob.accessToken })).body).toEqual([]);
  });

  it("keeps SQL-looking filter values inert", async () => {
    for (const value of ["eq.'; drop table public.feedback; --", "eq.\\'); select pg_sleep(5); --", "in.(a'b,c\\d)", "like.*'*"]) {
      const lite = await expectSame({ path: `/feedback?${q({ select: "id", org_id: `eq.${orgId}`, query: value })}`, token: alice.accessToken });
      expect(lite.body).toEqual([]);
    }
    const [row] = await sql(stack)`select count(*)::int as n from public.feedback where org_id = ${orgId}`;
    expect(row!.n).toBe(24);
  });

  it("answers a single-object read, and leaves zero rows to lite's PGRST116", async () => {
    const object = { accept: "application/vnd.pgrst.object+json" };
    const one = await expectSame({ path: `/feedback?${q({ select: "external_id,rating", external_id: "eq.ext-07" })}`, token: alice.accessToken, headers: object });
    expect(one.body).toEqual({ external_id: "ext-07", rating: 3 });
    const none: Call = { path: `/feedback?${q({ select: "id", external_id: "eq.missing" })}`, token: alice.accessToken, headers: object };
    expect(await viaFast(none)).toBeNull();
    expect((await viaLite(none)).status).toBe(406);
  });

  it("inserts as lite does, with and without the representation", async () => {
    const generated = (b: unknown) => {
      const strip = (r: Record<string, unknown>) => ({ ...r, id: typeof r.id, created_at: typeof r.created_at, comment: typeof r.comment });
      return Array.isArray(b) ? b.map(strip) : strip(b as Record<string, unknown>);
    };
    const row = (tag: string) => ({ org_id: orgId, rating: 2, query: "Inserted", response: "r", comment: `${tag}-${randomUUID()}` });
    const single: Omit<Call, "body"> = { method: "POST", path: "/feedback?select=id,org_id,rating,query,comment,created_at,external_id", token: alice.accessToken, headers: { prefer: "return=representation", accept: "application/vnd.pgrst.object+json" } };
    const lite = await viaLite({ ...single, body: row("lite") });
    const quick = await viaFast({ ...single, body: row("fast") });
    expect(lite.status).toBe(201);
    expect({ ...quick, body: generated(quick!.body) }).toEqual({ ...lite, body: generated(lite.body) });

    const many: Omit<Call, "body"> = { method: "POST", path: "/feedback?select=rating,query", token: alice.accessToken, headers: { prefer: "return=representation" } };
    const liteMany = await viaLite({ ...many, body: [row("lite"), row("lite")] });
    expect(await viaFast({ ...many, body: [row("fast"), row("fast")] })).toEqual(liteMany);

    for (const headers of [{ prefer: "return=minimal" }, {}] as Array<Record<string, string>>) {
      const minimal: Omit<Call, "body"> = { method: "POST", path: "/feedback", token: alice.accessToken, headers };
      const liteMinimal = await viaLite({ ...minimal, body: row("lite") });
      expect(liteMinimal.status).toBe(201);
      expect(await viaFast({ ...minimal, body: row("fast") })).toEqual(liteMinimal);
    }
    const [stored] = await sql(stack)`select count(*)::int as n from public.feedback where comment like 'fast-%'`;
    expect(stored!.n).toBe(5);
  });

  it("leaves a refused insert to lite and stores nothing", async () => {
    const refused: Call[] = [
      // A check constraint: rating is 1..5.
      { method: "POST", path: "/feedback", token: alice.accessToken, headers: { prefer: "return=representation" }, body: { org_id: orgId, rating: 9, query: "q", response: "r", comment: "refused-check" } },
      // Row-level security: bob is not a member of alice's organisation.
      { method: "POST", path: "/feedback", token: bob.accessToken, body: { org_id: orgId, rating: 2, query: "q", response: "r", comment: "refused-rls" } },
    ];
    for (const call of refused) {
      expect(await viaFast(call)).toBeNull();
      const lite = await viaLite(call);
      expect(lite.status).toBeGreaterThanOrEqual(400);
      expect(lite.status).toBeLessThan(500);
    }
    const [stored] = await sql(stack)`select count(*)::int as n from public.feedback where comment like 'refused-%'`;
    expect(stored!.n).toBe(0);
  });

  it("rolls back a single-object insert that does not come back as exactly one row, and leaves it to lite", async () => {
    const db = sql(stack);
    // A trigger that records the attempt and skips the row, so the insert returns nothing. The sequence
    // shows the attempt ran (sequences ignore rollbacks); the log shows whether it was rolled back.
    await db.unsafe(`
      create table public.fast_skip (id int primary key, note text);
      create table public.fast_skip_log (note text);
      create sequence public.fast_skip_attempts;
      create function public.fast_skip_row() returns trigger language plpgsql security definer set search_path = '' as $$
      begin perform nextval('public.fast_skip_attempts'); insert into public.fast_skip_log values (new.note); return null; end $$;
      create trigger fast_skip before insert on public.fast_skip for each row execute function public.fast_skip_row();
      grant select, insert on public.fast_skip to authenticated;`);
    try {
      await waitFor(() => viaFast({ path: "/fast_skip?select=id", token: alice.accessToken }), { message: "the new table served" });
      const call: Call = { method: "POST", path: "/fast_skip?select=id", token: alice.accessToken, headers: { prefer: "return=representation", accept: "application/vnd.pgrst.object+json" }, body: { id: 1, note: "single" } };
      expect(await viaFast(call)).toBeNull();
      const [attempts] = await db`select last_value::int as n, is_called from public.fast_skip_attempts`;
      expect(attempts).toEqual({ n: 1, is_called: true });
      expect(await db`select note from public.fast_skip_log`).toEqual([]);
      // Without the single-object answer no row is no error: an empty array, and the attempt stays.
      expect(await viaFast({ ...call, headers: { prefer: "return=representation" }, body: { id: 2, note: "array" } })).toMatchObject({ status: 201, body: [] });
      expect(await db`select note from public.fast_skip_log`).toEqual([{ note: "array" }]);
    } finally {
      await db.unsafe("drop table public.fast_skip; drop table public.fast_skip_log; drop function public.fast_skip_row(); drop sequence public.fast_skip_attempts");
    }
  });

  it("renders timestamps in UTC, as lite does, whatever the database's own time zone", async () => {
    await sql(stack).unsafe("alter database postgres set timezone to 'Asia/Kolkata'");
    const zoned = new FastRest(stack.dbUrl, createLogger("rest-fast-tz", "error"));
    try {
      await zoned.start();
      const call = { path: `/jobs?${q({ select: "name,started_at", org_id: `eq.${orgId}`, name: "eq.Render check" })}`, token: alice.accessToken };
      const lite = await viaLite(call);
      expect(lite.body).toEqual([{ name: "Render check", started_at: "2026-11-22T10:00:00.123456+00:00" }]);
      expect(await viaFast(call, zoned)).toEqual(lite);
    } finally {
      await zoned.close();
      await sql(stack).unsafe("alter database postgres reset timezone");
    }
  });

  it("follows the schema as it changes (Supabase's reload notification)", async () => {
    const db = sql(stack);
    await db.unsafe("create table public.fast_probe (id int primary key, note text); grant select on public.fast_probe to authenticated; insert into public.fast_probe values (1, 'one')");
    try {
      const call: Call = { path: "/fast_probe?select=*", token: alice.accessToken };
      await waitFor(async () => JSON.stringify((await viaFast(call))?.body) === '[{"id":1,"note":"one"}]', { message: "the new table served" });
      await db.unsafe("alter table public.fast_probe add column extra text default 'x'");
      await waitFor(async () => JSON.stringify((await viaFast(call))?.body) === '[{"id":1,"note":"one","extra":"x"}]', { message: "the new column served" });
    } finally {
      await db.unsafe("drop table public.fast_probe");
    }
    await waitFor(async () => (await viaFast({ path: "/fast_probe?select=*", token: alice.accessToken })) === null, { message: "the dropped table left to lite" });
  });

  it("turns itself off while it cannot follow the schema, and back on once it can", async () => {
    const second = new FastRest(stack.dbUrl, createLogger("rest-fast-2", "error"));
    await second.start();
    try {
      const call: Call = { path: `/feedback?${q({ select: "id", org_id: `eq.${orgId}`, limit: "1" })}`, token: alice.accessToken };
      const serve = () => viaFast(call, second);
      expect(await serve()).not.toBeNull();
      // Both FastRests listen; cutting every listener is what a Postgres restart or a network cut does.
      await sql(stack)`select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen pgrst'`;
      await waitFor(async () => (await serve()) === null, { message: "the fast path off" });
      // A column added while it was not listening is seen once it is back.
      await sql(stack).unsafe("alter table public.feedback add column fast_probe text");
      try {
        const all: Call = { ...call, path: `/feedback?${q({ select: "*", org_id: `eq.${orgId}`, limit: "1" })}` };
        const back = await waitFor(() => viaFast(all, second), { message: "the fast path back on" });
        expect(Object.keys((back.body as Array<Record<string, unknown>>)[0]!)).toContain("fast_probe");
      } finally {
        await sql(stack).unsafe("alter table public.feedback drop column fast_probe");
      }
    } finally {
      await second.close();
    }
  });

  it("stays off on a database without Supabase's DDL watch", async () => {
    await sql(stack)`alter event trigger pgrst_ddl_watch disable`;
    const warnings: string[] = [];
    const third = new FastRest(stack.dbUrl, { ...createLogger("rest-fast-3", "error"), warn: (m: string) => void warnings.push(m) });
    try {
      await third.start();
      expect(await viaFast({ path: `/feedback?${q({ select: "id", org_id: `eq.${orgId}` })}`, token: alice.accessToken }, third)).toBeNull();
      expect(warnings).toEqual([expect.stringContaining("no pgrst DDL watch")]);
    } finally {
      await third.close();
      await sql(stack)`alter event trigger pgrst_ddl_watch enable`;
    }
  });
});
