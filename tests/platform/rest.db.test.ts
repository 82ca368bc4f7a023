import { randomUUID } from "node:crypto";
import { SignJWT, base64url } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, getStack, serviceClient, sql, type TestUser } from "../helpers/stack.ts";

let stack: StackInfo;
let alice: TestUser;
let bob: TestUser;
let orgId: string;

beforeAll(async () => {
  stack = await getStack();
  [alice, bob] = await Promise.all([createUser(stack, "alice"), createUser(stack, "bob")]);
  const org = await alice.client.from("organizations").insert({ name: "REST test org", slug: `rest-${randomUUID().slice(0, 8)}` }).select().single();
  if (org.error) throw org.error;
  orgId = org.data.id;
  const rows = Array.from({ length: 30 }, (_, i) => ({
    org_id: orgId,
    rating: (i % 5) + 1,
    query: `Question ${i} about ${i % 2 ? "billing" : "shipping"}`,
    response: `Answer ${i}`,
    external_id: `ext-${i}`,
    labels: i % 3 === 0 ? ["urgent"] : [],
  }));
  // external_id is the customer's app's (ingest, the service role); a person cannot set it.
  const ins = await serviceClient(stack).from("feedback").insert(rows);
  if (ins.error) throw ins.error;
});

describe("REST through supabase-js", () => {
  it("filters, orders and pages with an exact count", async () => {
    const r = await alice.client
      .from("feedback")
      .select("external_id, rating, query", { count: "exact" })
      .eq("org_id", orgId)
      .lte("rating", 2)
      .ilike("query", "%billing%")
      .order("rating", { ascending: false })
      .order("external_id")
      .range(0, 2);
    expect(r.error).toBeNull();
    expect(r.count).toBe(6);
    expect(r.data).toHaveLength(3);
    expect(r.data!.every((row) => row.rating <= 2 && row.query.includes("billing"))).toBe(true);
    expect(r.data![0]!.rating).toBe(2);

    const inList = await alice.client.from("feedback").select("external_id").eq("org_id", orgId).in("external_id", ["ext-1", "ext-2", "nope"]);
    expect(inList.data?.map((d) => d.external_id).sort()).toEqual(["ext-1", "ext-2"]);
    const contains = await alice.client.from("feedback").select("id", { count: "exact", head: true }).eq("org_id", orgId).contains("labels", ["urgent"]);
    expect(contains.count).toBe(10);
  });

  it("answers single and maybeSingle as PostgREST does", async () => {
    const one = await alice.client.from("feedback").select("external_id").eq("org_id", orgId).eq("external_id", "ext-3").single();
    expect(one.data).toEqual({ external_id: "ext-3" });
    const none = await alice.client.from("feedback").select("id").eq("org_id", orgId).eq("external_id", "missing").single();
    expect(none.error?.code).toBe("PGRST116");
    expect(none.status).toBe(406);
    const maybe = await alice.client.from("feedback").select("id").eq("org_id", orgId).eq("external_id", "missing").maybeSingle();
    expect(maybe.error).toBeNull();
    expect(maybe.data).toBeNull();
  });

  it("inserts, upserts, updates and deletes with returning", async () => {
    const ins = await serviceClient(stack).from("feedback").insert({ org_id: orgId, rating: 1, query: "q-new", response: "r", external_id: "up-1" }).select("id, rating, status").single();
    expect(ins.error).toBeNull();
    expect(ins.data).toMatchObject({ rating: 1, status: "new" });

    const up = await serviceClient(stack)
      .from("feedback")
      .upsert({ org_id: orgId, rating: 4, query: "q-new", response: "r2", external_id: "up-1" }, { onConflict: "org_id,external_id" })
      .select("id, rating, response")
      .single();
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ id: ins.data!.id, rating: 4, response: "r2" });

    const upd = await alice.client.from("feedback").update({ labels: ["refund"], status: "triaged" }).eq("id", ins.data!.id).select("labels, status");
    expect(upd.data).toEqual([{ labels: ["refund"], status: "triaged" }]);

    const del = await alice.client.from("feedback").delete().eq("id", ins.data!.id).select("id");
    expect(del.data).toEqual([{ id: ins.data!.id }]);
    expect((await alice.client.from("feedback").select("id").eq("id", ins.data!.id)).data).toEqual([]);
  });

  it("embeds resources over a foreign key and calls functions", async () => {
    const fb = await alice.client.from("feedback").select("id, query, response").eq("org_id", orgId).eq("external_id", "ext-0").single();
    const kase = await serviceClient(stack)
      .from("improvement_cases")
      .insert({ org_id: orgId, feedback_id: fb.data!.id, query: fb.data!.query, bad_response: fb.data!.response, suggested_response: "better" })
      .select("id")
      .single();
    expect(kase.error).toBeNull();
    const embedded = await alice.client.from("improvement_cases").select("id, organizations!improvement_cases_org_id_fkey(name)").eq("id", kase.data!.id).single();
    expect(embedded.error).toBeNull();
    expect(embedded.data).toMatchObject({ organizations: { name: "REST test org" } });

    const mine = await alice.client.rpc("my_organizations");
    expect(mine.error).toBeNull();
    expect(mine.data).toContainEqual(expect.objectContaining({ org_id: orgId, role: "admin" }));
  });

  it("renders timestamps as PostgREST does (ISO 8601 with a T and a full offset)", async () => {
    const r = await alice.client.from("feedback").select("created_at").eq("org_id", orgId).limit(1).single();
    expect(r.data!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/);
  });

  it("applies row-level security: anon and other users see nothing of this org", async () => {
    // anon holds no privilege on feedback (the migrations grant only what each role needs).
    const anon = await client(stack).from("feedback").select("id").eq("org_id", orgId);
    expect(anon.error?.code).toBe("42501");
    expect(anon.data).toBeNull();
    const other = await bob.client.from("feedback").select("id", { count: "exact" }).eq("org_id", orgId);
    expect(other.count).toBe(0);
    const sneaky = await bob.client.from("feedback").insert({ org_id: orgId, rating: 1, query: "x", response: "y" });
    expect(sneaky.error?.code).toBe("42501");
    const wipe = await bob.client.from("feedback").delete().eq("org_id", orgId).select("id");
    expect(wipe.data).toEqual([]);
    expect((await alice.client.from("feedback").select("id", { count: "exact", head: true }).eq("org_id", orgId)).count).toBeGreaterThanOrEqual(30);
  });

  it("refuses tampered, expired and alg:none tokens with 401", async () => {
    const secret = new TextEncoder().encode(stack.jwtSecret);
    const [h, p] = alice.accessToken.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
    const tamperedPayload = base64url.encode(JSON.stringify({ ...claims, sub: bob.id }));
    const tampered = `${h}.${tamperedPayload}.${alice.accessToken.split(".")[2]}`;
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(JSON.stringify({ ...claims, role: "service_role" }))}.`;
    const forged = await new SignJWT({ ...claims, role: "service_role" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("not-the-secret-not-the-secret-not-it"));

    for (const [token, code] of [[tampered, "PGRST301"], [expired, "PGRST303"], [none, "PGRST301"], [forged, "PGRST301"]] as const) {
      const r = await client(stack, stack.anonKey, token).from("feedback").select("id").limit(1);
      expect(r.status, token).toBe(401);
      expect(r.error?.code).toBe(code);
    }
    const badKey = await client(stack, forged).from("feedback").select("id").limit(1);
    expect(badKey.status).toBe(401);
  });

  it("takes only the anon or service key as API key, and runs the request as the bearer", async () => {
    const url = `${stack.apiUrl}/rest/v1/feedback?select=id&org_id=eq.${orgId}&limit=1`;
    const bearer = { authorization: `Bearer ${alice.accessToken}` };
    expect((await fetch(url, { headers: bearer })).status).toBe(401);
    // A user's own token is not an API key, with or without itself as the bearer.
    expect((await fetch(url, { headers: { apikey: alice.accessToken } })).status).toBe(401);
    expect((await fetch(url, { headers: { apikey: alice.accessToken, ...bearer } })).status).toBe(401);
    const viaQuery = await fetch(`${url}&apikey=${stack.anonKey}`, { headers: bearer });
    expect(viaQuery.status).toBe(200);
    expect(await viaQuery.json()).toHaveLength(1);
    const asAnon = await fetch(url, { headers: { apikey: stack.anonKey } });
    expect(asAnon.status).toBe(401);
    expect(await asAnon.json()).toMatchObject({ code: "42501" });
    // The service key is refused from a browser, whichever engine would have answered the query.
    const fromBrowser = await fetch(url, { headers: { apikey: stack.serviceRoleKey, "user-agent": "Mozilla/5.0 (X11; Linux x86_64)" } });
    expect(fromBrowser.status).toBe(401);
    expect((await fetch(url, { headers: { apikey: stack.serviceRoleKey } })).status).toBe(200);
  });

  it("answers CORS as Supabase's gateway does: preflights list what may be sent, every answer what may be read", async () => {
    const preflight = await fetch(`${stack.apiUrl}/rest/v1/feedback`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "PATCH", "access-control-request-headers": "authorization, apikey, prefer" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("prefer");
    expect(preflight.headers.get("access-control-max-age")).toBe("3600");

    const headers = { apikey: stack.anonKey, authorization: `Bearer ${alice.accessToken}`, origin: "http://localhost:5173" };
    const answers = [
      await fetch(`${stack.apiUrl}/rest/v1/feedback?select=id&org_id=eq.${orgId}&limit=1`, { headers }),
      await fetch(`${stack.apiUrl}/rest/v1/feedback?select=id,organizations(name)&org_id=eq.${orgId}&limit=1`, { headers: { ...headers, prefer: "count=exact" } }),
      await fetch(`${stack.apiUrl}/auth/v1/user`, { headers }),
    ];
    for (const r of answers) {
      expect(r.ok, r.url).toBe(true);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      // A browser's supabase-js reads the count from content-range, so it must be exposed.
      expect(r.headers.get("access-control-expose-headers")).toContain("content-range");
      expect(r.headers.get("access-control-allow-methods"), r.url).toBeNull();
      expect(r.headers.get("access-control-max-age"), r.url).toBeNull();
    }
  });

  it("refuses an update or delete without a filter, as Supabase's safeupdate does, and changes nothing", async () => {
    const before = (await alice.client.from("feedback").select("id", { count: "exact", head: true }).eq("org_id", orgId)).count;
    expect(before).toBeGreaterThan(0);
    const wipe = await alice.client.from("feedback").delete();
    expect(wipe.status).toBe(400);
    expect(wipe.error).toMatchObject({ code: "21000", message: "DELETE requires a WHERE clause", details: null, hint: null });
    const service = await serviceClient(stack).from("feedback").delete().select("id");
    expect(service.error?.code).toBe("21000");
    const retriage = await alice.client.from("feedback").update({ status: "dismissed" });
    expect(retriage.error).toMatchObject({ code: "21000", message: "UPDATE requires a WHERE clause" });
    expect((await alice.client.from("feedback").select("id", { count: "exact", head: true }).eq("org_id", orgId)).count).toBe(before);
    expect((await alice.client.from("feedback").select("id", { count: "exact", head: true }).eq("org_id", orgId).eq("status", "dismissed")).count).toBe(0);
    // An unknown table is still PostgREST's 404; a filtered delete goes through.
    expect((await alice.client.from("no_such_table").delete()).error?.code).toBe("PGRST205");
    // A name no table can have is lite's to answer, with a 4xx, never the check's own failure.
    const auth = { apikey: stack.anonKey, authorization: `Bearer ${alice.accessToken}` };
    for (const name of ["%E0%A4%A", "feed%00back"]) {
      const r = await fetch(`${stack.apiUrl}/rest/v1/${name}`, { method: "DELETE", headers: auth });
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
    }
    const own = await alice.client.from("feedback").insert({ org_id: orgId, rating: 1, query: "to delete", response: "r" }).select("id").single();
    const gone = await alice.client.from("feedback").delete().eq("id", own.data!.id).select("id");
    expect(gone.data).toEqual([{ id: own.data!.id }]);
  });

  it("answers malformed bodies and unknown columns with PostgREST-shaped 4xx", async () => {
    const unknown = await alice.client.from("feedback").insert({ org_id: orgId, rating: 3, query: "q", response: "r", not_a_column: 1 } as never);
    expect(unknown.status).toBe(400);
    expect(unknown.error?.code).toBe("PGRST204");
    expect(unknown.error?.message).toMatch(/not_a_column/);

    const res = await fetch(`${stack.apiUrl}/rest/v1/feedback`, {
      method: "POST",
      headers: { apikey: stack.anonKey, authorization: `Bearer ${alice.accessToken}`, "content-type": "application/json" },
      body: "{ not json",
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe("PGRST102");

    const badRating = await alice.client.from("feedback").insert({ org_id: orgId, rating: 9, query: "q", response: "r" });
    expect(badRating.status).toBe(400);
    expect(badRating.error?.code).toBe("23514");

    const badStatus = await alice.client.from("feedback").insert({ org_id: orgId, rating: 2, query: "q", response: "r", status: "bogus" });
    expect(badStatus.status).toBe(400);
    expect(badStatus.error?.code).toBe("23514");
    expect(badStatus.error?.message).toMatch(/feedback_status/);

    const ambiguous = await alice.client.from("improvement_cases").select("id, feedback(id)").limit(1);
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.error?.code).toBe("PGRST201");

    const missingTable = await alice.client.from("no_such_table").select("*");
    expect(missingTable.status).toBe(404);
    expect(missingTable.error?.code).toBe("PGRST205");
  });

  it("keeps GoTrue's auth helpers, which read request.jwt.claims as Realtime Authorization sets it", async () => {
    const [row] = await sql(stack).begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: alice.id, role: "authenticated", email: alice.email })}, true)`;
      return tx`select auth.uid() as uid, auth.role() as role, auth.email() as email`;
    });
    expect(row).toEqual({ uid: alice.id, role: "authenticated", email: alice.email });
  });

  it("treats SQL-looking filter values as data", async () => {
    const evil = "'; drop table public.feedback; --";
    const r = await alice.client.from("feedback").select("id").eq("query", evil);
    expect(r.error).toBeNull();
    expect(r.data).toEqual([]);
    const orEvil = await alice.client.from("feedback").select("id").or(`query.eq.${encodeURIComponent("x) or (1=1")}`).eq("org_id", orgId);
    expect(orEvil.data ?? []).toEqual([]);
    const [row] = await sql(stack)`select to_regclass('public.feedback') is not null as present`;
    expect(row!.present).toBe(true);
  });
});
