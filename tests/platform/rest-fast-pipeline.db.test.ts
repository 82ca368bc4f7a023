import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { StatementPipeline } from "@review/local-supabase/rest/fast/pipeline";
import { getStack, sql } from "../helpers/stack.ts";

// The fast path's safety rests on this: the context statement and the query share one transaction,
// an error anywhere undoes everything, and per-connection prepared statements stay correct and bounded.

let stack: StackInfo;
let pool: pg.Pool;

beforeAll(async () => {
  stack = await getStack();
  // One connection, so every run below meets the statements the earlier ones prepared.
  pool = new pg.Pool({ connectionString: stack.dbUrl, max: 1 });
  await sql(stack)`create table if not exists public.pipeline_probe (id text primary key, n int not null check (n > 0))`;
});

afterAll(async () => {
  await pool?.end();
  await sql(stack)`drop table if exists public.pipeline_probe`;
});

const SET_SUB = "select set_config('request.jwt.claim.sub', $1, true)";
const READ_SUB = "select current_setting('request.jwt.claim.sub', true) as sub, $1::text as echo";

describe("the fast path's statement pipeline", () => {
  it("runs every statement in one transaction: a setting made by the first holds in the second, and not after", async () => {
    const pipeline = new StatementPipeline(pool);
    const rows = await pipeline.run([
      { text: SET_SUB, values: ["user-a"] },
      { text: READ_SUB, values: ["x"] },
    ]);
    expect(rows).toEqual([[["user-a"]], [["user-a", "x"]]]);
    const after = await pipeline.run([{ text: READ_SUB, values: ["y"] }]);
    expect(after[0]![0]![0] ?? "").toBe("");
  });

  it("undoes an earlier write when a later statement fails, answers with the database error, and keeps the connection", async () => {
    const pipeline = new StatementPipeline(pool);
    const id = randomUUID();
    const insert = "insert into public.pipeline_probe (id, n) values ($1, $2::int)";
    await expect(
      pipeline.run([
        { text: insert, values: [id, "1"] },
        { text: insert, values: [`${id}-2`, "0"] }, // violates the check
      ]),
    ).rejects.toMatchObject({ code: "23514" });
    expect(await sql(stack)`select id from public.pipeline_probe where id like ${`${id}%`}`).toHaveLength(0);
    expect(pool.totalCount).toBe(1);
    // The same statement (prepared or not by the failed run) works on the same connection.
    await pipeline.run([{ text: insert, values: [id, "1"] }]);
    expect(await sql(stack)`select n from public.pipeline_probe where id = ${id}`).toEqual([{ n: 1 }]);
  });

  it("types a text value against its column as a quoted literal would, and refuses one that does not fit", async () => {
    const pipeline = new StatementPipeline(pool);
    const text = "select n::text from public.pipeline_probe where n <= $1 limit 1";
    await expect(pipeline.run([{ text, values: ["not a number"] }])).rejects.toMatchObject({ code: "22P02" });
    await expect(pipeline.run([{ text, values: ["5"] }])).resolves.toHaveLength(1);
  });

  it("prepares a statement once per connection and keeps no more than its bound", async () => {
    const pipeline = new StatementPipeline(pool, 3);
    // pg's own query, an unnamed statement on the same (only) connection, so it counts without adding.
    const prepared = async (like: string) =>
      Number((await pool.query<{ n: string }>("select count(*)::text as n from pg_prepared_statements where statement like $1", [like])).rows[0]!.n);
    for (let i = 0; i < 5; i++) await pipeline.run([{ text: "select $1::text as once_probe", values: [String(i)] }]);
    expect(await prepared("%once\\_probe%")).toBe(1);
    for (let i = 0; i < 10; i++) await pipeline.run([{ text: `select ${i} as bound_probe, $1::text`, values: ["v"] }]);
    expect([await prepared("%once\\_probe%"), await prepared("%bound\\_probe%")]).toEqual([0, 3]);
    // The most recently used stay: the last three run without being prepared again.
    expect(await prepared("select 9 as bound\\_probe%")).toBe(1);
  });

  it("gives two pipelines on one pool names of their own", async () => {
    const [a, b] = [new StatementPipeline(pool), new StatementPipeline(pool)];
    expect(await a.run([{ text: "select 'a' where $1::text is not null", values: ["x"] }])).toEqual([[["a"]]]);
    expect(await b.run([{ text: "select 'b' where $1::text is not null", values: ["x"] }])).toEqual([[["b"]]]);
    expect(await a.run([{ text: "select 'a' where $1::text is not null", values: ["x"] }])).toEqual([[["a"]]]);
  });
});
