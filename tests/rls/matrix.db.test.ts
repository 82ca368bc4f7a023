import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { getStack, sql } from "../helpers/stack.ts";
import { ACTORS, clientOf, createPeople, createWorld, type Actor, type People, type World } from "./world.ts";
import { EXPECTATIONS, FIXTURES, OPS, type Fixture, type Op } from "./expectations.ts";

// The RLS matrix: every table in `public` × {admin, curator, reviewer, manager, anon, admin of another
// org} × {select, insert, update, delete}, asserted through supabase-js against EXPECTATIONS.
// Each table's test builds its own organizations; the six people are shared (read-only) per file.

let stack: StackInfo;
let people: People;

beforeAll(async () => {
  stack = await getStack();
  people = await createPeople(stack);
});

type Row = Record<string, any>;

function keyOf(fx: Fixture, row: Row): Row {
  return Object.fromEntries(fx.key.map((k) => [k, row[k]]));
}

async function readRow(w: World, table: string, key: Row): Promise<Row | undefined> {
  const where = Object.keys(key)
    .map((k, i) => `t."${k}" = $${i + 1}`)
    .join(" and ");
  const rows = await w.db.unsafe(`select to_jsonb(t) as j from public.${table} t where ${where}`, Object.values(key) as never[]);
  return rows[0]?.j as Row | undefined;
}

function withKey<T extends { eq(c: string, v: unknown): T }>(q: T, key: Row): T {
  for (const [k, v] of Object.entries(key)) q = q.eq(k, v);
  return q;
}

/** Tries one operation as one actor; returns whether it took effect. */
async function attempt(w: World, table: string, fx: Fixture, op: Op, actor: Actor): Promise<boolean> {
  const c = clientOf(people, actor);
  switch (op) {
    case "select": {
      const row = await fx.seed(w);
      // Built before the withKey call on purpose: inline, TS infers select()'s type arguments from
      // withKey's self-referential constraint and gives up (TS2589, "excessively deep").
      const query = c.from(table).select("*");
      const { data } = await withKey(query, keyOf(fx, row));
      return (data?.length ?? 0) === 1;
    }
    case "insert": {
      const payload = await fx.insert(w, actor);
      const { error } = await c.from(table).insert(payload);
      if (error) return false;
      const present = fx.key.every((k) => k in payload) ? Boolean(await readRow(w, table, keyOf(fx, payload))) : true;
      return present;
    }
    case "update": {
      const row = await fx.seed(w);
      const key = keyOf(fx, row);
      const before = await readRow(w, table, key);
      const patch = await fx.patch(w, row);
      await withKey(c.from(table).update(patch), key);
      const after = await readRow(w, table, key);
      return Object.keys(patch).some((k) => JSON.stringify(after?.[k]) !== JSON.stringify(before?.[k]));
    }
    case "delete": {
      const row = await fx.seed(w);
      const key = keyOf(fx, row);
      await withKey(c.from(table).delete(), key);
      return !(await readRow(w, table, key));
    }
  }
}

describe("RLS matrix (database-backed)", () => {
  it("every table in public has RLS enabled and a row in the expectation table", async () => {
    const rows = await sql(stack)`
      select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`;
    expect(rows.filter((r) => !r.relrowsecurity).map((r) => r.relname), "tables without RLS").toEqual([]);
    expect(rows.map((r) => r.relname).filter((t) => !EXPECTATIONS[t]), "tables missing from EXPECTATIONS").toEqual([]);
  });

  for (const [table, expected] of Object.entries(EXPECTATIONS)) {
    const gap = expected.knownGap;
    it(`${table}: ${OPS.map((op) => `${op}=${expected[op].join("/") || "nobody"}`).join("  ")}${gap ? `  [known gap: ${gap.actor} can ${gap.op}]` : ""}`, async () => {
      const exists = await sql(stack)`select to_regclass(${`public.${table}`}) is not null as ok`;
      expect(exists[0]!.ok, `${table} is in EXPECTATIONS but not in the schema`).toBe(true);
      const fx = FIXTURES[table];
      expect(fx, `fixture for ${table}`).toBeDefined();
      const w = await createWorld(stack, people);
      const actual: Record<string, Record<string, boolean>> = {};
      const wanted: Record<string, Record<string, boolean>> = {};
      // Operations run one after another (an admin's delete must not race a curator's update);
      // the six actors of one operation run together, each on its own seeded row (or in turn, on a
      // table with one row per organization).
      for (const op of OPS) {
        const run = async (actor: (typeof ACTORS)[number]) => [actor, await attempt(w, table, fx!, op, actor).catch((e) => `error: ${String(e)}`)] as const;
        const results: Array<Awaited<ReturnType<typeof run>>> = [];
        if (fx!.oneRowPerOrg) for (const actor of ACTORS) results.push(await run(actor));
        else results.push(...(await Promise.all(ACTORS.map(run))));
        for (const [actor, ok] of results) {
          (actual[actor] ??= {})[op] = ok as boolean;
          (wanted[actor] ??= {})[op] = expected[op].includes(actor);
        }
      }
      if (gap) wanted[gap.actor]![gap.op] = !expected[gap.op].includes(gap.actor);
      expect(actual, gap ? `known gap still open (${gap.reason}); if fixed, drop knownGap` : undefined).toEqual(wanted);
    });
  }
});
