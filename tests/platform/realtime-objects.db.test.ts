import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { createUser, getStack, sql, waitFor } from "../helpers/stack.ts";
import { closeClients, rtClient, subscribe } from "../realtime/helpers.ts";

let stack: StackInfo;
let db: postgres.Sql;
const notices: string[] = [];
beforeAll(async () => {
  stack = await getStack();
  db = postgres(stack.dbUrl, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
});
afterAll(async () => {
  await closeClients();
  await db.end({ timeout: 5 });
});

describe("Realtime's platform objects as hosted has them", () => {
  it("realtime.messages has hosted's columns, and API roles may select, insert and update but never delete", async () => {
    const columns = await sql(stack)`select column_name from information_schema.columns where table_schema = 'realtime' and table_name = 'messages' order by column_name`;
    expect(columns.map((c) => c.column_name)).toEqual(["binary_payload", "event", "extension", "id", "inserted_at", "payload", "private", "topic", "updated_at"]);
    const grants = await sql(stack)`
      select grantee, string_agg(privilege_type, ',' order by privilege_type) as privileges from information_schema.role_table_grants
      where table_schema = 'realtime' and table_name = 'messages' and grantee in ('anon', 'authenticated', 'service_role') group by grantee order by grantee`;
    expect(grants).toEqual([
      { grantee: "anon", privileges: "INSERT,SELECT,UPDATE" },
      { grantee: "authenticated", privileges: "INSERT,SELECT,UPDATE" },
      { grantee: "service_role", privileges: "INSERT,SELECT,UPDATE" },
    ]);
  });

  it("runs realtime.send() with the caller's rights: a user no policy lets write to a private topic sends nothing, and gets a warning, not an error", async () => {
    const [fn] = await sql(stack)`select prosecdef from pg_proc where oid = 'realtime.send(jsonb, text, text, boolean)'::regprocedure`;
    expect(fn!.prosecdef).toBe(false);
    const user = await createUser(stack, "rt-send");
    const topic = `no-policy-${randomUUID()}`;
    notices.length = 0;
    // The attack: a signed-in user broadcasting on a private topic through the database function.
    const result = await db.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: user.id, role: "authenticated" })}, true)`;
      await tx`select realtime.send(${tx.json({ forged: true })}, 'forged', ${topic}, true)`;
      // The caller's transaction goes on after the warning.
      const [{ ok }] = (await tx`select 1 as ok`) as unknown as [{ ok: number }];
      return ok;
    });
    expect(result).toBe(1);
    expect(notices.some((n) => n.startsWith("WarnSendingBroadcastMessage:"))).toBe(true);
    expect(await sql(stack)`select 1 from realtime.messages where topic = ${topic}`).toHaveLength(0);

    // The database's own role (a trigger's definer, the service) sends, and the id lands in the payload.
    await sql(stack)`select realtime.send(${sql(stack).json({ from: "db" })}, 'ok', ${topic}, true)`;
    const [row] = await sql(stack)`select id, payload from realtime.messages where topic = ${topic}`;
    expect(row!.payload).toEqual({ from: "db", id: row!.id });
  });

  it("has realtime.send_binary(), whose bytes reach subscribers as a binary broadcast", async () => {
    const topic = `binary-${randomUUID()}`;
    const c = rtClient(stack.apiUrl, stack.anonKey, { vsn: "2.0.0" });
    const got: Array<{ event: string; payload: unknown }> = [];
    await subscribe(c.channel(topic).on("broadcast", { event: "*" }, (m) => got.push(m as never)));
    await sql(stack)`select realtime.send_binary(${Buffer.from([1, 2, 3])}, 'bytes', ${topic}, false)`;
    const [row] = await sql(stack)`select binary_payload, payload from realtime.messages where topic = ${topic}`;
    expect(row).toEqual({ binary_payload: Buffer.from([1, 2, 3]), payload: null });
    const m = await waitFor(() => got.find((g) => g.event === "bytes"));
    expect(new Uint8Array(m.payload as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe("postgres_changes subscriptions Realtime cannot make are reported as hosted reports them", () => {
  async function systemMessages(config: Record<string, unknown>): Promise<Array<{ extension: string; status: string; message: string }>> {
    const c = rtClient(stack.apiUrl, stack.anonKey);
    const got: Array<{ extension: string; status: string; message: string }> = [];
    const ch = c.channel(`changes-${randomUUID()}`).on("postgres_changes", config as never, () => undefined).on("system", {}, (p) => got.push(p as never));
    await subscribe(ch);
    await waitFor(() => got.some((g) => g.extension === "postgres_changes"));
    return got.filter((g) => g.extension === "postgres_changes");
  }

  it("an unknown table, a table outside the publication and a malformed filter each get a system error", async () => {
    const unknown = await systemMessages({ event: "*", schema: "public", table: "no_such_table" });
    expect(unknown).toEqual([
      expect.objectContaining({
        status: "error",
        message: "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: *, schema: public, table: no_such_table, filters: [], select: nil]",
      }),
    ]);

    const table = `not_published_${randomUUID().slice(0, 8)}`;
    await sql(stack).unsafe(`create table public.${table} (id int primary key)`);
    try {
      const outside = await systemMessages({ event: "INSERT", schema: "public", table, filter: "id=eq.1" });
      expect(outside[0]).toMatchObject({
        status: "error",
        message: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: INSERT, schema: public, table: ${table}, filters: [{"id", "eq", "1", false}], select: nil]`,
      });
    } finally {
      await sql(stack).unsafe(`drop table public.${table}`);
    }

    const bad = await systemMessages({ event: "*", schema: "public", table: "feedback", filter: "rating=foo.hey" });
    expect(bad[0]).toMatchObject({ status: "error", message: 'Error parsing `filter` params: ["foo", "hey"]' });

    // A table in the publication subscribes as before.
    const fine = await systemMessages({ event: "*", schema: "public", table: "feedback" });
    expect(fine[0]).toMatchObject({ status: "ok", message: "Subscribed to PostgreSQL" });
  });
});
