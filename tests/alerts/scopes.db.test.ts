import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ALERT_METRICS, ALERT_SCOPES, METRIC_SCOPES } from "@review/shared/alerts/state";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";

// Which splits each metric supports has one home (shared METRIC_SCOPES); the database's checks are its
// copy. Every metric × scope pair is tried as an admin would over REST: exactly the shared pairs are
// accepted, and changing a rule's split to one its metric does not keep is refused too.
let org: TestOrg;
let db: ReturnType<typeof sql>;

beforeAll(async () => {
  const stack = await getStack();
  org = await createOrg(stack, "alert-scopes");
  db = sql(stack);
});

describe("alert rule scopes", () => {
  it("the database accepts exactly the metric × scope pairs shared/ names", async () => {
    const accepted: string[] = [];
    for (const metric of ALERT_METRICS) {
      for (const scope of ALERT_SCOPES) {
        const { error } = await org.users.admin.client.from("alert_rules").insert({
          org_id: org.id, name: `${metric} per ${scope} ${randomUUID().slice(0, 4)}`, metric, comparator: ">", threshold: 1, level: "warning", scope,
        });
        if (!error) accepted.push(`${metric}/${scope}`);
        else expect(error.code).toBe("23514");
      }
    }
    const expected = ALERT_METRICS.flatMap((m) => METRIC_SCOPES[m].map((s) => `${m}/${s}`));
    expect(accepted.sort()).toEqual(expected.sort());
  });

  it("an admin can split the default online-evaluation rule by function, but not the queue depth by evaluator", async () => {
    const [oe] = await db`select id, scope from public.alert_rules where org_id = ${org.id} and default_key = 'online_eval'`;
    expect(oe!.scope).toBe("evaluator");
    const ok = await org.users.admin.client.from("alert_rules").update({ scope: "function", scope_value: "suggest-answer" }).eq("id", oe!.id).select("scope");
    expect(ok.error).toBeNull();
    expect(ok.data).toEqual([{ scope: "function" }]);
    const [q] = await db`select id from public.alert_rules where org_id = ${org.id} and default_key = 'queue_depth'`;
    const bad = await org.users.admin.client.from("alert_rules").update({ scope: "evaluator" }).eq("id", q!.id);
    expect(bad.error?.code).toBe("23514");
    // A manager reads the rules but may not change a split.
    const manager = await org.users.manager.client.from("alert_rules").update({ scope: "org" }).eq("id", oe!.id).select("id");
    expect(manager.data ?? []).toEqual([]);
    expect((await db`select scope from public.alert_rules where id = ${oe!.id}`)[0]!.scope).toBe("function");
  });
});
