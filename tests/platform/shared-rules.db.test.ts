import { describe, expect, it } from "vitest";
import { capabilityRows } from "../../shared/src/domain/capabilities.ts";
import { FEEDBACK_STATUSES, FEEDBACK_TRANSITIONS } from "../../shared/src/domain/feedback.ts";
import { CASE_STATUSES } from "../../shared/src/domain/cases.ts";
import { JOB_KINDS } from "../../shared/src/jobs/kinds.ts";
import { EXPERIMENT_COST_CAP_MAX_USD } from "../../shared/src/jobs/config.ts";
import { getStack, sql } from "../helpers/stack.ts";

/**
 * Each rule has one home in shared/, and the database enforces the same rule from its own copy (a policy
 * cannot import TypeScript). These assert the copies agree on the migrated schema, so a change to one
 * without the other fails here rather than as a button the database then refuses.
 */
describe("shared/ rules and the database's copies agree", () => {
  const sorted = <T,>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();

  it("roles and capabilities (private.role_capabilities)", async () => {
    const db = sql(await getStack());
    const rows = await db<{ role: string; capability: string }[]>`select role::text, capability from private.role_capabilities`;
    expect(sorted(rows.map((r) => ({ role: r.role, capability: r.capability })))).toEqual(sorted(capabilityRows()));
  });

  it("job kinds and who may start them (public.job_kind, private.job_kinds)", async () => {
    const db = sql(await getStack());
    const enumValues = await db<{ v: string }[]>`select unnest(enum_range(null::public.job_kind))::text as v`;
    expect(enumValues.map((r) => r.v).sort()).toEqual(Object.keys(JOB_KINDS).sort());
    const rows = await db<{ kind: string; capability: string }[]>`select kind::text, capability from private.job_kinds`;
    expect(sorted(rows.map((r) => ({ kind: r.kind, capability: r.capability })))).toEqual(
      sorted(Object.entries(JOB_KINDS).map(([kind, k]) => ({ kind, capability: k.capability }))),
    );
  });

  it("the largest experiment cost cap (private.experiment_cost_cap_max_usd)", async () => {
    const db = sql(await getStack());
    const [row] = await db<{ max: string }[]>`select private.experiment_cost_cap_max_usd()::text as max`;
    expect(Number(row!.max)).toBe(EXPERIMENT_COST_CAP_MAX_USD);
  });

  it("the feedback status machine (public.feedback_status, private.feedback_transitions)", async () => {
    const db = sql(await getStack());
    const [domain] = await db<{ def: string }[]>`
      select pg_get_constraintdef(c.oid) as def from pg_constraint c join pg_type t on t.oid = c.contypid
       where t.typname = 'feedback_status' and t.typnamespace = 'public'::regnamespace`;
    const inDomain = [...domain!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    expect(inDomain.sort()).toEqual([...FEEDBACK_STATUSES].sort());
    const rows = await db<{ from_status: string; to_status: string }[]>`select from_status, to_status from private.feedback_transitions`;
    expect(sorted(rows.map((r) => [r.from_status, r.to_status]))).toEqual(
      sorted(Object.entries(FEEDBACK_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => [from, to]))),
    );
  });

  it("an improvement case's statuses (public.case_status)", async () => {
    const db = sql(await getStack());
    const [domain] = await db<{ def: string }[]>`
      select pg_get_constraintdef(c.oid) as def from pg_constraint c join pg_type t on t.oid = c.contypid
       where t.typname = 'case_status' and t.typnamespace = 'public'::regnamespace`;
    expect([...domain!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort()).toEqual([...CASE_STATUSES].sort());
  });
});
