import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { evaluateAlerts, scheduleAlertEvaluation } from "@review/worker/features/alerts/evaluate";
import { getStack, sql } from "../helpers/stack.ts";

// Every default rule, driven across its threshold by synthetic rows and evaluated by the worker's own
// evaluation (the hourly rollups → private.alert_observations → the shared state machine). `now` moves
// forward explicitly to play the hysteresis; each scenario has its own organization.
let stack: StackInfo;
let db: ReturnType<typeof sql>;

beforeAll(async () => {
  stack = await getStack();
  db = sql(stack);
});

async function newOrg(label: string): Promise<string> {
  const [o] = await db`insert into public.organizations (name, slug) values (${label}, ${`${label}-${randomUUID().slice(0, 8)}`}) returning id`;
  return o!.id;
}

const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);

async function evaluate(at: Date) {
  return evaluateAlerts({ sql: db }, at);
}

async function alertsOf(org: string, key: string) {
  return db`select a.status, a.value, a.sample, a.level, a.clear_since, a.link, a.scope_key from public.alerts a
            join public.alert_rules r on r.id = a.rule_id where a.org_id = ${org} and r.default_key = ${key} order by a.opened_at`;
}

async function requests(org: string, n: number, row: Partial<{ latency_ms: number; status: string; input_tokens: number; cost_usd: number; function_name: string }> = {}) {
  await db`
    insert into public.ai_requests (org_id, function_name, model, input_tokens, output_tokens, cost_usd, latency_ms, status)
    select ${org}, ${row.function_name ?? "create-improvement-case"}, 'offline-fast-1', ${row.input_tokens ?? 100}, 20, ${row.cost_usd ?? 0.001},
           ${row.latency_ms ?? 800}, ${row.status ?? "ok"}
    from generate_series(1, ${n})`;
}

/** Fires at t0, stays one alert, clears, resolves exactly when the hysteresis has passed. */
async function playThrough(org: string, key: string, t0: Date, recover: () => Promise<void>, hysteresis: number, recoverAt = 1) {
  await evaluate(t0);
  let rows = await alertsOf(org, key);
  expect(rows.map((r) => r.status)).toEqual(["firing"]);
  await evaluate(minutes(t0, 0.5));
  expect(await alertsOf(org, key)).toHaveLength(1);

  await recover();
  const back = minutes(t0, recoverAt);
  await evaluate(back);
  rows = await alertsOf(org, key);
  if (hysteresis > 0) {
    expect(rows[0]!.status).toBe("firing");
    expect(rows[0]!.clear_since).toEqual(back);
    await evaluate(minutes(back, hysteresis - 1));
    expect((await alertsOf(org, key))[0]!.status).toBe("firing");
    await evaluate(minutes(back, hysteresis));
  }
  rows = await alertsOf(org, key);
  expect(rows.map((r) => r.status)).toEqual(["resolved"]);
  const events = await db`select e.kind, e.value from public.alert_events e join public.alerts a on a.id = e.alert_id
                          join public.alert_rules r on r.id = a.rule_id where a.org_id = ${org} and r.default_key = ${key} order by e.id`;
  expect(events.map((e) => e.kind)).toEqual(["fired", "resolved"]);
  return events;
}

describe("default alert rules", () => {
  it("every new organization gets the seed's defaults; the online-evaluation floor waits, off", async () => {
    const org = await newOrg("defaults");
    const rules = await db`select default_key, metric, comparator, threshold, level, enabled from public.alert_rules where org_id = ${org} order by default_key`;
    expect(rules.map((r) => [r.default_key, r.comparator, r.threshold, r.level, r.enabled])).toEqual([
      ["daily_cost", ">", 50, "warning", true],
      ["drift", ">", 0.3, "warning", true],
      ["feedback_score", "<", 0.6, "critical", true],
      ["llm_errors", ">", 0.05, "critical", true],
      ["llm_latency", ">", 30000, "warning", true],
      ["online_eval", "<", 0.7, "warning", false],
      ["queue_depth", ">", 100, "warning", true],
      ["tokens_per_day", ">", 1000000, "warning", true],
    ]);
  });

  it("LLM latency p95 > 30 s fires (warning), and resolves 15 minutes after it is back", async () => {
    const org = await newOrg("latency");
    await requests(org, 25, { latency_ms: 42_000 });
    const t0 = new Date();
    await evaluate(t0);
    const [a] = await alertsOf(org, "llm_latency");
    expect(a).toMatchObject({ status: "firing", level: "warning", link: "boards" });
    expect(a!.value).toBeGreaterThan(30_000);
    expect(Number(a!.sample)).toBe(25);
    await playThrough(org, "llm_latency", minutes(t0, 1), () => requests(org, 1000, { latency_ms: 300 }), 15, 2);
  });

  it("a window below the minimum sample does not fire, however bad its value", async () => {
    const org = await newOrg("quiet");
    await requests(org, 10, { latency_ms: 90_000, status: "error" });
    await evaluate(new Date());
    expect(await alertsOf(org, "llm_latency")).toHaveLength(0);
    expect(await alertsOf(org, "llm_errors")).toHaveLength(0);
  });

  it("LLM error rate > 5% fires critical, and resolves after its hysteresis", async () => {
    const org = await newOrg("errors");
    await requests(org, 20);
    await requests(org, 5, { status: "error" });
    const events = await playThrough(org, "llm_errors", new Date(), () => requests(org, 500), 15);
    expect(events[0]!.value).toBeCloseTo(0.2, 5);
    expect((await alertsOf(org, "llm_errors"))[0]!.level).toBe("critical");
  });

  it("tokens per day > 1,000,000 fires, and resolves once the day has moved past them", async () => {
    const org = await newOrg("tokens");
    await requests(org, 3, { input_tokens: 400_000 });
    const t0 = new Date();
    // Recovery is time: 25 h later the window no longer holds those calls.
    await playThrough(org, "tokens_per_day", t0, async () => {}, 60, 25 * 60);
  });

  it("daily cost above the budget fires, and resolves once the day has moved on", async () => {
    const org = await newOrg("cost");
    await requests(org, 2, { cost_usd: 30 });
    await playThrough(org, "daily_cost", new Date(), async () => {}, 60, 25 * 60);
  });

  it("drift PSI > 0.3 from the latest drift check fires and links to it; a calmer check resolves it", async () => {
    const org = await newOrg("drift");
    const drift = async (psi: number) => {
      const [j] = await db`insert into public.jobs (org_id, kind, name, status, finished_at, result)
        values (${org}, 'drift', 'Rating drift check', 'completed', now(), ${db.json({ subjects: [{ model: "offline-fast-1", promptVersionId: null, baselineCount: 80, currentCount: 40, psi }] })})
        returning id`;
      return j!.id as string;
    };
    const jobId = await drift(0.52);
    const t0 = new Date(Date.now() + 1000);
    await evaluate(t0);
    expect((await alertsOf(org, "drift"))[0]!.link).toBe(`jobs/${jobId}`);
    await playThrough(org, "drift", t0, async () => void (await drift(0.05)), 0);
  });

  it("average feedback score (0–1) < 0.6 fires critical, and resolves after an hour back above", async () => {
    const org = await newOrg("score");
    await db`insert into public.feedback (org_id, rating, query, response) select ${org}, 1 + (g % 2), 'q ' || g, 'a' from generate_series(1, 30) g`;
    const events = await playThrough(org, "feedback_score", new Date(), async () => {
      await db`insert into public.feedback (org_id, rating, query, response) select ${org}, 5, 'happy ' || g, 'a' from generate_series(1, 300) g`;
    }, 60);
    expect(events[0]!.value).toBeCloseTo(0.125, 5);
  });

  it("queue depth > 100 fires, and resolves when the backlog drains", async () => {
    const org = await newOrg("queue");
    await db`with j as (insert into public.jobs (org_id, kind, name) select ${org}, 'drift', 'waiting ' || g from generate_series(1, 101) g returning id)
             insert into public.job_queue (task, job_id, org_id) select 'alerts-test-hold', id, ${org} from j`;
    await playThrough(org, "queue_depth", new Date(), async () => {
      await db`delete from public.job_queue where org_id = ${org}`;
    }, 10);
  });

  it("a scoped rule keeps one open alert per function, and a value that stays across keeps it one", async () => {
    const org = await newOrg("scoped");
    await db`insert into public.alert_rules (org_id, name, metric, comparator, threshold, level, window_minutes, min_sample, hysteresis_minutes, scope)
             values (${org}, 'Errors per function', 'llm_error_rate', '>', 0.1, 'warning', 60, 5, 5, 'function')`;
    await requests(org, 10, { status: "error", function_name: "fn-a" });
    await requests(org, 10, { status: "error", function_name: "fn-b" });
    await requests(org, 10, { function_name: "fn-c" });
    const t0 = new Date();
    for (let i = 0; i < 3; i++) await evaluate(minutes(t0, i));
    const open = await db`select a.scope_key from public.alerts a join public.alert_rules r on r.id = a.rule_id
                          where a.org_id = ${org} and r.name = 'Errors per function' and a.status = 'firing' order by 1`;
    expect(open.map((r) => r.scope_key)).toEqual(["fn-a", "fn-b"]);
    // The database refuses a second open alert for the same rule and scope.
    await expect(db`insert into public.alerts (org_id, rule_id, scope_key, level, metric, comparator, threshold)
                    select org_id, rule_id, scope_key, level, metric, comparator, threshold from public.alerts
                    where org_id = ${org} and scope_key = 'fn-a' and status = 'firing'`).rejects.toThrow(/alerts_one_open_per_rule_scope/);
  });

  it("a burst of evaluation requests leaves one evaluation waiting, and a minute's schedule queues it once", async () => {
    // No worker runs on the test stack, so what is queued stays queued.
    await db`delete from public.job_queue where task = 'alerts_evaluate'`;
    for (let i = 0; i < 3; i++) await db`select private.enqueue_alert_evaluation()`;
    const minute = 60_000 * Math.floor(Date.now() / 60_000) + 10 * 86_400_000; // a minute no other run has used
    expect(await scheduleAlertEvaluation({ sql: db }, 60_000, minute)).toBe(true);
    expect(await scheduleAlertEvaluation({ sql: db }, 60_000, minute + 1_000)).toBe(false);
    const queued = await db`select state, priority, max_attempts from public.job_queue where task = 'alerts_evaluate'`;
    expect(queued).toEqual([{ state: "queued", priority: 1, max_attempts: 1 }]);
  });
});
