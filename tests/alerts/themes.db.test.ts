import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { adjustedRandIndex } from "@review/shared/themes/cluster";
import { syntheticFeedback } from "@review/shared/themes/synthetic";
import { callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql, waitFor } from "../helpers/stack.ts";

// The themes job end to end: start-job → queue → worker (local embedding, clustering, the dev LLM naming
// each theme) → themes and their items, per organization.
let stack: StackInfo;
let acme: TestOrg;
let globex: TestOrg;
let worker: WorkerHandle;
const topicOf = new Map<string, string>();

beforeAll(async () => {
  stack = await getStack();
  [acme, globex] = await Promise.all([createOrg(stack, "themes-a"), createOrg(stack, "themes-b")]);
  const db = sql(stack);
  // Acme: five known topics, low-rated, plus happy feedback that must stay out.
  for (const item of syntheticFeedback(30, 21)) {
    const [r] = await db`insert into public.feedback (org_id, rating, query, response, comment) values (${acme.id}, ${item.rating}, ${item.query}, 'answer', ${item.comment}) returning id`;
    topicOf.set(r!.id, item.topic);
  }
  await db`insert into public.feedback (org_id, rating, query, response) select ${acme.id}, 5, 'refund worked great ' || g, 'a' from generate_series(1, 20) g`;
  // Globex: two topics in the same words as Acme's: a theme that mixed organizations would show it.
  for (const item of syntheticFeedback(15, 22, ["refund", "login"])) {
    await db`insert into public.feedback (org_id, rating, query, response, comment) values (${globex.id}, ${item.rating}, ${item.query}, 'answer', ${item.comment})`;
  }
  worker = await startWorker({
    env: { DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey, WORKER_SCHEDULER: "false", WORKER_TASKS: "themes", WORKER_POLL_MS: "100", LOG_LEVEL: "error" },
    log: silentLogger,
  });
});

afterAll(async () => {
  await worker?.stop(1000);
});

async function runThemes(org: TestOrg) {
  const started = await callFunction(stack, "start-job", { kind: "themes", orgId: org.id, name: "Feedback themes", config: { seed: 3 } }, org.users.admin.accessToken);
  expect(started.status).toBe(201);
  const jobId = started.body.job.id as string;
  return waitFor(async () => {
    const [j] = await sql(stack)`select status, error, result from public.jobs where id = ${jobId}`;
    return j && ["completed", "failed"].includes(j.status) ? j : null;
  }, { timeout: 60_000, message: "themes job finished" });
}

describe("feedback themes", () => {
  it("recover the known topics of low-rated feedback (ARI >= 0.7), named by the LLM, with size, rating and examples", async () => {
    const job = await runThemes(acme);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(job.result.k).toBe(5);
    const items = await sql(stack)`select i.feedback_id, i.theme_id from public.feedback_theme_items i join public.feedback_themes t on t.id = i.theme_id
                                   where t.org_id = ${acme.id} and t.is_current`;
    expect(items).toHaveLength(150); // the 20 happy ratings are not in any theme
    const ari = adjustedRandIndex(items.map((i) => topicOf.get(i.feedback_id)!), items.map((i) => i.theme_id));
    expect(ari).toBeGreaterThanOrEqual(0.7);
    const themes = await sql(stack)`select name, summary, size, avg_rating, keywords from public.feedback_themes where org_id = ${acme.id} and is_current order by size desc`;
    expect(themes.reduce((s, t) => s + t.size, 0)).toBe(150);
    for (const t of themes) {
      expect(t.name.length).toBeGreaterThan(2);
      expect(t.summary).toMatch(/low-rated item/);
      expect(t.avg_rating).toBeGreaterThanOrEqual(1);
      expect(t.avg_rating).toBeLessThanOrEqual(2);
    }
    // The names came through the LLM path (logged as the organization's calls).
    expect((await sql(stack)`select count(*)::int as n from public.ai_requests where org_id = ${acme.id} and function_name = 'worker:themes'`)[0]!.n).toBe(5);
  });

  it("no theme crosses organizations, and each organization reads only its own", async () => {
    const job = await runThemes(globex);
    expect(job.status).toBe("completed");
    const crossed = await sql(stack)`select count(*)::int as n from public.feedback_theme_items i
      join public.feedback_themes t on t.id = i.theme_id join public.feedback f on f.id = i.feedback_id
      where f.org_id <> t.org_id or i.org_id <> t.org_id`;
    expect(crossed[0]!.n).toBe(0);
    const acmeThemes = await sql(stack)`select id from public.feedback_themes where org_id = ${acme.id} and is_current`;
    // Globex's admin sees none of Acme's themes or items; Acme's reviewer sees Acme's.
    const asGlobex = await globex.users.admin.client.from("feedback_themes").select("id").in("id", acmeThemes.map((t) => t.id));
    expect(asGlobex.data).toEqual([]);
    const items = await globex.users.admin.client.from("feedback_theme_items").select("feedback_id").eq("theme_id", acmeThemes[0]!.id);
    expect(items.data).toEqual([]);
    const asReviewer = await acme.users.reviewer.client.from("feedback_themes").select("id").eq("org_id", acme.id).eq("is_current", true);
    expect(asReviewer.data).toHaveLength(acmeThemes.length);
    // Starting a themes job for another organization is refused.
    const refused = await callFunction(stack, "start-job", { kind: "themes", orgId: acme.id, name: "peek" }, globex.users.admin.accessToken);
    expect(refused.status).toBe(404);
  });
});
