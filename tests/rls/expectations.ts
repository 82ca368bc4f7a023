import { randomUUID } from "node:crypto";
import { CAPABILITIES, type Capability } from "@review/shared/domain/capabilities";
import type { Actor, World } from "./world.ts";

export const OPS = ["select", "insert", "update", "delete"] as const;
export type Op = (typeof OPS)[number];

/** The members of org A who hold `capability` (shared/src/domain/capabilities.ts, the one home of the rule). */
const holders = (capability: Capability): Actor[] => [...CAPABILITIES[capability]];
const ALL_MEMBERS: Actor[] = holders("org:read");
const TRIAGERS: Actor[] = holders("feedback:write");
const BOARDS: Actor[] = holders("usage:read");
const ADMIN: Actor[] = holders("member:manage");
const NOBODY: Actor[] = [];
const ALERT_READ: Actor[] = holders("alert:read");
const ALERT_MANAGE: Actor[] = holders("alert:manage");

/**
 * THE expectation table: for every table in `public`, which actors may select / insert / update /
 * delete a row of organization A through the REST API (anon and an admin of another organization
 * included). Everything not listed must be denied. Roles as ARCHITECTURE.md defines them.
 */
export type KnownGap = { actor: Actor; op: Op; reason: string };
export const EXPECTATIONS: Record<string, Record<Op, Actor[]> & { knownGap?: KnownGap }> = {
  organizations: { select: ALL_MEMBERS, insert: ["admin", "curator", "reviewer", "manager", "otherAdmin"], update: holders("org:manage"), delete: holders("org:manage") },
  // Memberships come only from creating an organization or accepting an invitation.
  memberships: { select: ALL_MEMBERS, insert: NOBODY, update: ADMIN, delete: ADMIN },
  profiles: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  invitations: { select: ADMIN, insert: ADMIN, update: ADMIN, delete: ADMIN },
  feedback: { select: ALL_MEMBERS, insert: TRIAGERS, update: TRIAGERS, delete: holders("feedback:delete") },
  // The answer is edited in its document; the row's text copy is the worker's (doc_upkeep), decisions the functions'.
  improvement_cases: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: holders("case:delete") },
  training_examples: { select: ALL_MEMBERS, insert: holders("training:manage"), update: holders("training:manage"), delete: holders("training:manage") },
  // the seeded comment is the reviewer's own
  comments: { select: ALL_MEMBERS, insert: holders("comment:write"), update: ["reviewer"], delete: ["admin", "reviewer"] },
  jobs: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  job_events: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // What is live is derived from the production prompt versions; nobody switches it by hand.
  models: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  prompts: { select: ALL_MEMBERS, insert: holders("prompt:edit"), update: holders("prompt:edit"), delete: holders("prompt:delete") },
  prompt_versions: { select: ALL_MEMBERS, insert: holders("prompt:edit"), update: holders("prompt:edit"), delete: holders("prompt:delete") },
  // Written only by promotion and rollback (the database functions), never directly.
  prompt_promotions: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  ai_requests: { select: BOARDS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  audit_logs: { select: BOARDS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  ai_usage_daily: { select: BOARDS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  feedback_daily: { select: BOARDS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  ingest_keys: { select: holders("ingest_key:manage"), insert: NOBODY, update: NOBODY, delete: holders("ingest_key:manage") },
  job_queue: { select: NOBODY, insert: NOBODY, update: NOBODY, delete: NOBODY },
  eval_results: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  drift_alerts: { select: ALL_MEMBERS, insert: NOBODY, update: holders("alert:manage"), delete: NOBODY },
  retrain_proposals: { select: ALL_MEMBERS, insert: NOBODY, update: holders("alert:manage"), delete: NOBODY },
  // Alerts: managers and admins watch; admins edit rules and channels; the worker writes state and deliveries.
  notification_channels: { select: ALERT_READ, insert: ALERT_MANAGE, update: ALERT_MANAGE, delete: ALERT_MANAGE },
  alert_rules: { select: ALERT_READ, insert: ALERT_MANAGE, update: ALERT_MANAGE, delete: ALERT_MANAGE },
  alert_rule_channels: { select: ALERT_READ, insert: ALERT_MANAGE, update: NOBODY, delete: ALERT_MANAGE },
  // Acknowledge and mute go through public.acknowledge_alert / mute_alert, never a direct write.
  alerts: { select: ALERT_READ, insert: NOBODY, update: NOBODY, delete: NOBODY },
  alert_events: { select: ALERT_READ, insert: NOBODY, update: NOBODY, delete: NOBODY },
  notification_deliveries: { select: ALERT_READ, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // One row per organization (created with it); admins tune it.
  ml_settings: { select: ALERT_READ, insert: NOBODY, update: ALERT_MANAGE, delete: NOBODY },
  // Themes are computed from feedback, which every member reads; only the themes job writes them.
  feedback_themes: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  feedback_theme_items: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // Prompt-studio sessions are private to their author (the seeded rows are the curator's).
  opt_sessions: { select: ["curator"], insert: ["admin", "curator"], update: ["curator"], delete: ["curator"] },
  opt_messages: { select: ["curator"], insert: ["curator"], update: NOBODY, delete: ["curator"] },
  opt_feedback: { select: ["curator"], insert: ["curator"], update: ["curator"], delete: NOBODY },
  // Collaborative documents of a case in org A ('case:<id>'); writes go through RPCs only.
  doc_updates: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  doc_snapshots: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  doc_clients: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // Review queues: rubrics and queues by those who manage reviews; items, slots, scores and decisions
  // only through the functions (claim_next_review_item, submit_scores, adjudicate).
  score_configs: { select: ALL_MEMBERS, insert: holders("review:manage"), update: holders("review:manage"), delete: holders("review:manage") },
  review_queues: { select: ALL_MEMBERS, insert: holders("review:manage"), update: holders("review:manage"), delete: holders("review:manage") },
  review_items: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  review_assignments: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // Blind mode: the seeded score is the curator's on an item the reviewer has not scored yet, so the
  // reviewer reads nothing; the curator reads their own, admins and managers read all (review:read_all).
  scores: { select: ["admin", "curator", "manager"], insert: NOBODY, update: NOBODY, delete: NOBODY },
  // The seeded decision is on a complete item the reviewer did not score: adjudicators and watchers see it.
  adjudications: { select: ["admin", "curator", "manager"], insert: NOBODY, update: NOBODY, delete: NOBODY },
  // The LLM judge's values: read with a queue's report under the blind rule of scores (the seeded value
  // is on an open item nobody has scored: a curator, who may still score it, reads nothing; admins and
  // managers read all), written only by the worker's review_judge job.
  judge_scores: { select: holders("review:read_all"), insert: NOBODY, update: NOBODY, delete: NOBODY },
  // A queue's stored report: those who read reports (a reviewer, who scores blind, reads none); the
  // worker writes it (review_report task).
  review_reports: { select: holders("review:report"), insert: NOBODY, update: NOBODY, delete: NOBODY },
  // Datasets: curators and admins edit drafts; versions change only through the database functions
  // (publish, new draft), and the seeded items are in a draft (a published version refuses everyone).
  datasets: { select: ALL_MEMBERS, insert: holders("dataset:edit"), update: holders("dataset:edit"), delete: holders("dataset:edit") },
  dataset_versions: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: holders("dataset:edit") },
  dataset_items: { select: ALL_MEMBERS, insert: holders("dataset:edit"), update: holders("dataset:edit"), delete: holders("dataset:edit") },
  // Evaluator rows are versions: saved, never edited.
  evaluators: { select: ALL_MEMBERS, insert: holders("dataset:edit"), update: NOBODY, delete: NOBODY },
  // Written by the job trigger and the worker only.
  experiments: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  experiment_results: { select: ALL_MEMBERS, insert: NOBODY, update: NOBODY, delete: NOBODY },
  // Online evaluation: rules are read like evaluators and edited by who saves them; results hold live
  // outputs (evaluator editors and usage readers) and only the worker writes them.
  online_evaluators: { select: ALL_MEMBERS, insert: holders("dataset:edit"), update: holders("dataset:edit"), delete: holders("dataset:edit") },
  online_eval_results: { select: [...new Set([...holders("dataset:edit"), ...BOARDS])], insert: NOBODY, update: NOBODY, delete: NOBODY },
};

/*
 * knownGap: a leak this suite documents instead of hiding — the cell is asserted as it IS and the test
 * fails once it is fixed. (The doc_* tables carried one until 20260101000650_doc_access.sql scoped
 * public.can_access_doc() to the document's organization.) Example:
 *   knownGap: { actor: "otherAdmin", op: "select", reason: "…" }
 */

// ---- fixtures: how to make a row of each table in org A, what to insert, what to change ----------

type Row = Record<string, any>;
export type Fixture = {
  /** Primary-key columns (to find the row again). */
  key: string[];
  /** A fresh row in org A, inserted as the superuser. */
  seed(w: World): Promise<Row>;
  /** What `actor` tries to insert into org A (unique per actor). */
  insert(w: World, actor: Actor): Promise<Row>;
  /** What an update tries to change. */
  patch(w: World, seeded: Row): Row | Promise<Row>;
  /**
   * `seed` returns the same row every time (a table with one row per organization): its actors take
   * turns, or one actor's permitted update would look like another's.
   */
  oneRowPerOrg?: boolean;
};

const u = () => randomUUID();
const slug = (p: string) => `${p}-${u().slice(0, 8)}`;

async function feedback(w: World, extra: Row = {}) {
  return w.row("feedback", { org_id: w.orgA, rating: 2, query: "Why was I charged twice?", response: "You were not.", ...extra });
}
async function kase(w: World) {
  const f = await feedback(w);
  const c = await w.row("improvement_cases", { org_id: w.orgA, feedback_id: f.id, query: f.query, bad_response: f.response, suggested_response: "We refund duplicates." });
  await w.db`update public.feedback set case_id = ${c.id}, status = 'case_open' where id = ${f.id}`;
  return c;
}
async function prompt(w: World) {
  return w.row("prompts", { org_id: w.orgA, slug: slug("p") });
}
async function version(w: World, status = "draft") {
  const p = await prompt(w);
  return w.row("prompt_versions", { org_id: w.orgA, prompt_id: p.id, version: 1, template: "Answer {{query}}", model: "offline-fast-1", status });
}
async function job(w: World) {
  return w.row("jobs", { org_id: w.orgA, kind: "fine_tune", name: "job", status: "completed" });
}
async function model(w: World) {
  return w.row("models", { org_id: w.orgA, name: `m-${u()}`, base_model: "offline-strong-1", is_live: false });
}
async function session(w: World) {
  return w.row("opt_sessions", { org_id: w.orgA, user_id: w.people.curator.id, initial_prompt: "Write a refund reply" });
}
async function draftVersion(w: World) {
  const d = await w.row("datasets", { org_id: w.orgA, name: slug("ds") });
  return w.row("dataset_versions", { org_id: w.orgA, dataset_id: d.id, version: 1 });
}
/** A published version with one item (items go in while it is a draft; publishing freezes them). */
async function publishedItem(w: World) {
  const v = await draftVersion(w);
  const item = await w.row("dataset_items", { org_id: w.orgA, version_id: v.id, position: 0, query: "q" });
  await w.db`update public.dataset_versions set status = 'published', item_count = 1 where id = ${v.id}`;
  return { version: v, item };
}
async function experiment(w: World) {
  const { version, item } = await publishedItem(w);
  const e = await w.row("experiments", { org_id: w.orgA, job_id: (await job(w)).id, name: "exp", dataset_version_id: version.id, variants: w.db.json([{ model: "offline-fast-1" }]) });
  return { experiment: e, item };
}
async function channel(w: World) {
  return w.row("notification_channels", { org_id: w.orgA, name: "ops hook", kind: "webhook", target: "https://hooks.example.com/ops" });
}
async function alertRule(w: World) {
  return w.row("alert_rules", { org_id: w.orgA, name: `rule ${u().slice(0, 6)}`, metric: "llm_error_rate", comparator: ">", threshold: 0.1 });
}
async function firingAlert(w: World) {
  const r = await alertRule(w);
  return w.row("alerts", { org_id: w.orgA, rule_id: r.id, level: "warning", metric: "llm_error_rate", comparator: ">", threshold: 0.1, value: 0.2, sample: 50 });
}
async function theme(w: World) {
  return w.row("feedback_themes", { org_id: w.orgA, name: "Refunds", size: 1, window_from: new Date(Date.now() - 864e5).toISOString(), window_to: new Date().toISOString() });
}
const day = (offset: number) => new Date(Date.now() - offset * 864e5).toISOString();
let dayCounter = 0;

async function scoreConfig(w: World) {
  return w.row("score_configs", { org_id: w.orgA, name: slug("rubric"), version: 1, kind: "boolean" });
}
async function reviewQueue(w: World) {
  const c = await scoreConfig(w);
  const f = await feedback(w);
  return w.row("review_queues", { org_id: w.orgA, name: "Queue", source_kind: "feedback", source: w.db.json({ feedback_ids: [f.id] }), score_config_ids: [c.id], overlap: 2 });
}
async function reviewItem(w: World, status = "open") {
  const q = await reviewQueue(w);
  const [i] = await w.db`update public.review_items set status = ${status} where queue_id = ${q.id} returning *`;
  return { queue: q, item: i!, rubric: q.score_config_ids[0] as string };
}
async function curatorScore(w: World, status = "open") {
  const { queue, item, rubric } = await reviewItem(w, status);
  const a = await w.row("review_assignments", { org_id: w.orgA, queue_id: queue.id, item_id: item.id, reviewer_id: w.people.curator.id, slot: 1, status: "submitted" });
  const s = await w.row("scores", { org_id: w.orgA, queue_id: queue.id, item_id: item.id, assignment_id: a.id, reviewer_id: w.people.curator.id, score_config_id: rubric, value: w.db.json(true) });
  return { queue, item, rubric, assignment: a, score: s };
}

async function judgeScore(w: World) {
  const { queue, item, rubric } = await reviewItem(w);
  const [j] = await w.db`insert into public.jobs (org_id, kind, name, config) values (${w.orgA}, 'review_judge', 'judge', ${w.db.json({ queueId: queue.id })}) returning *`;
  return { queue, item, rubric, job: j! };
}

export const FIXTURES: Record<string, Fixture> = {
  organizations: {
    key: ["id"],
    async seed(w) {
      const [o] = await w.db`insert into public.organizations (name, slug, created_by) values ('Seeded', ${slug("rls-s")}, ${w.people.admin.id}) returning *`;
      await w.db`insert into public.memberships (org_id, user_id, role) values
        (${o!.id}, ${w.people.curator.id}, 'curator'), (${o!.id}, ${w.people.reviewer.id}, 'reviewer'), (${o!.id}, ${w.people.manager.id}, 'manager')`;
      return o!;
    },
    // created_by is stamped by a trigger from the caller's JWT
    insert: async () => ({ id: u(), name: "New org", slug: slug("rls-new") }),
    patch: () => ({ name: "Renamed" }),
  },
  memberships: {
    key: ["org_id", "user_id"],
    seed: async (w) => w.row("memberships", { org_id: w.orgA, user_id: await w.bareUser(), role: "reviewer" }),
    insert: async (w) => ({ org_id: w.orgA, user_id: await w.bareUser(), role: "reviewer" }),
    patch: () => ({ role: "curator" }),
  },
  profiles: {
    key: ["id"],
    async seed(w) {
      const id = await w.bareUser();
      await w.row("memberships", { org_id: w.orgA, user_id: id, role: "reviewer" });
      const [p] = await w.db`select * from public.profiles where id = ${id}`;
      return p!;
    },
    // a profile for someone else (the only profile a user may insert is their own, which exists)
    insert: async (w) => ({ id: await w.bareUser().then(async (id) => (await w.db`delete from public.profiles where id = ${id}`, id)), display_name: "Impostor" }),
    patch: () => ({ display_name: "Renamed by someone else" }),
  },
  invitations: {
    key: ["id"],
    seed: (w) => w.row("invitations", { org_id: w.orgA, email: `${u()}@invitee.example.com`, role: "reviewer" }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, email: `${u()}@invitee.example.com`, role: "reviewer" }),
    patch: () => ({ role: "admin" }),
  },
  feedback: {
    key: ["id"],
    seed: (w) => feedback(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, rating: 3, query: "Added by hand", response: "…" }),
    patch: () => ({ status: "triaged", labels: ["billing"] }),
  },
  improvement_cases: {
    key: ["id"],
    seed: (w) => kase(w),
    insert: async (w) => {
      const f = await feedback(w);
      return { id: u(), org_id: w.orgA, feedback_id: f.id, query: f.query, bad_response: f.response };
    },
    patch: () => ({ suggested_response: "A better answer." }),
  },
  training_examples: {
    key: ["id"],
    seed: (w) => w.row("training_examples", { org_id: w.orgA, query: "q", answer: "a", tags: ["billing"] }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, query: "q", answer: "a", tags: ["curated"] }),
    patch: () => ({ answer: "edited", tags: ["edited"] }),
  },
  comments: {
    key: ["id"],
    seed: async (w) => w.row("comments", { org_id: w.orgA, case_id: (await kase(w)).id, author_id: w.people.reviewer.id, body: "first" }),
    insert: async (w, actor) => ({
      id: u(), org_id: w.orgA, case_id: (await kase(w)).id, body: "hello",
      ...(actor === "anon" ? {} : { author_id: w.people[actor].id }),
    }),
    patch: () => ({ body: "edited" }),
  },
  jobs: {
    key: ["id"],
    seed: (w) => job(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, kind: "fine_tune", name: "sneaky" }),
    patch: () => ({ status: "cancelled" }),
  },
  job_events: {
    key: ["id"],
    seed: async (w) => w.row("job_events", { job_id: (await job(w)).id, org_id: w.orgA, step: "train", message: "epoch 1" }),
    insert: async (w) => ({ job_id: (await job(w)).id, org_id: w.orgA, step: `forged-${u()}`, message: "x" }),
    patch: () => ({ message: "rewritten" }),
  },
  models: {
    key: ["id"],
    seed: (w) => model(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "forged", base_model: "offline-fast-1" }),
    patch: () => ({ is_live: true }),
  },
  prompts: {
    key: ["id"],
    seed: (w) => prompt(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, slug: slug("new") }),
    patch: () => ({ description: "described" }),
  },
  prompt_versions: {
    key: ["id"],
    seed: (w) => version(w, "candidate"),
    insert: async (w) => ({ id: u(), org_id: w.orgA, prompt_id: (await prompt(w)).id, version: 1, template: "t {{query}}", model: "offline-fast-1" }),
    patch: () => ({ template: "edited {{query}}" }),
  },
  prompt_promotions: {
    key: ["id"],
    async seed(w) {
      const v = await version(w, "candidate");
      return w.row("prompt_promotions", { org_id: w.orgA, prompt_id: v.prompt_id, version_id: v.id, kind: "initial" });
    },
    insert: async (w) => {
      const v = await version(w, "candidate");
      return { org_id: w.orgA, prompt_id: v.prompt_id, version_id: v.id, kind: "override", reason: `forged ${u()}` };
    },
    patch: () => ({ reason: "rewritten history" }),
  },
  ai_requests: {
    key: ["id"],
    seed: (w) => w.row("ai_requests", { org_id: w.orgA, function_name: "create-improvement-case", model: "offline-strong-1", status: "ok", latency_ms: 120 }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, function_name: "forged", model: "m", status: "ok" }),
    patch: () => ({ cost_usd: 99 }),
  },
  audit_logs: {
    key: ["id"],
    seed: (w) => w.row("audit_logs", { org_id: w.orgA, action: "test.seeded", entity_type: "test" }),
    insert: async (w) => ({ org_id: w.orgA, action: `forged.${u()}`, entity_type: "test" }),
    patch: () => ({ action: "tampered" }),
  },
  ai_usage_daily: {
    key: ["org_id", "day", "model", "function_name"],
    async seed(w) {
      const fn = `fn-${u().slice(0, 8)}`;
      await w.row("ai_requests", { org_id: w.orgA, function_name: fn, model: "offline-fast-1", status: "ok", latency_ms: 80 });
      const [r] = await w.db`select * from public.ai_usage_daily where org_id = ${w.orgA} and function_name = ${fn}`;
      return { ...r!, day: (r!.day as Date).toISOString().slice(0, 10) };
    },
    insert: async (w) => ({ org_id: w.orgA, day: "2020-01-01", model: "m", function_name: `forged-${u().slice(0, 8)}`, requests: 5 }),
    patch: () => ({ requests: 1_000_000 }),
  },
  feedback_daily: {
    key: ["org_id", "day"],
    async seed(w) {
      const at = day(40 + (dayCounter++ % 300));
      await feedback(w, { created_at: at });
      const [r] = await w.db`select * from public.feedback_daily where org_id = ${w.orgA} and day = (${at}::timestamptz at time zone 'UTC')::date`;
      return { org_id: r!.org_id, day: (r!.day as Date).toISOString().slice(0, 10) };
    },
    insert: async (w) => ({ org_id: w.orgA, day: `2019-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`, rating_5: 100 }),
    patch: () => ({ rating_5: 1000 }),
  },
  ingest_keys: {
    key: ["id"],
    seed: (w) => w.row("ingest_keys", { org_id: w.orgA, name: "zendesk", prefix: "rk_test", key_hash: u() }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "forged", prefix: "rk_x", key_hash: u() }),
    patch: () => ({ revoked_at: new Date().toISOString() }),
  },
  job_queue: {
    key: ["id"],
    seed: (w) => w.row("job_queue", { task: "fine_tune", org_id: w.orgA }),
    insert: async (w) => ({ task: `forged-${u().slice(0, 8)}`, org_id: w.orgA }),
    patch: () => ({ priority: 99 }),
  },
  eval_results: {
    key: ["id"],
    seed: async (w) => w.row("eval_results", { job_id: (await job(w)).id, org_id: w.orgA, item_index: 0, query: "q", output_a: "a", output_b: "b" }),
    insert: async (w) => ({ job_id: (await job(w)).id, org_id: w.orgA, item_index: 0, query: `forged-${u()}`, output_a: "a", output_b: "b" }),
    patch: () => ({ output_b: "tampered" }),
  },
  drift_alerts: {
    key: ["id"],
    seed: (w) =>
      w.row("drift_alerts", {
        org_id: w.orgA, psi: 0.31, threshold: 0.2, baseline_from: day(14), baseline_to: day(7), current_from: day(7), current_to: day(0),
        baseline_count: 100, current_count: 90, distribution: w.db.json({ baseline: [1, 1, 1, 1, 1], current: [2, 1, 1, 1, 0] }),
      }),
    insert: async (w) => ({
      id: u(), org_id: w.orgA, psi: 9, threshold: 0.2, baseline_from: day(14), baseline_to: day(7), current_from: day(7), current_to: day(0),
      baseline_count: 1, current_count: 1, distribution: {},
    }),
    patch: () => ({ status: "acknowledged" }),
  },
  retrain_proposals: {
    key: ["id"],
    seed: (w) => w.row("retrain_proposals", { org_id: w.orgA, new_examples: 12, reason: "drift", status: "dismissed" }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, new_examples: 1, reason: "forged", status: "dismissed" }),
    patch: () => ({ status: "accepted" }),
  },

  notification_channels: {
    key: ["id"],
    seed: (w) => channel(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "forged", kind: "webhook", target: `https://evil.example.com/${u()}` }),
    patch: () => ({ target: "https://evil.example.com/redirected" }),
  },
  alert_rules: {
    key: ["id"],
    seed: (w) => alertRule(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "forged", metric: "queue_depth", comparator: ">", threshold: 1 }),
    patch: () => ({ threshold: 99 }),
  },
  alert_rule_channels: {
    key: ["rule_id", "channel_id"],
    seed: async (w) => w.row("alert_rule_channels", { org_id: w.orgA, rule_id: (await alertRule(w)).id, channel_id: (await channel(w)).id }),
    insert: async (w) => ({ org_id: w.orgA, rule_id: (await alertRule(w)).id, channel_id: (await channel(w)).id }),
    patch: async (w) => ({ channel_id: (await channel(w)).id }),
  },
  alerts: {
    key: ["id"],
    seed: (w) => firingAlert(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, rule_id: (await alertRule(w)).id, level: "critical", metric: "llm_error_rate", comparator: ">", threshold: 0.1 }),
    patch: () => ({ status: "resolved" }),
  },
  alert_events: {
    key: ["id"],
    seed: async (w) => w.row("alert_events", { org_id: w.orgA, alert_id: (await firingAlert(w)).id, kind: "fired", value: 0.2 }),
    insert: async (w) => ({ org_id: w.orgA, alert_id: (await firingAlert(w)).id, kind: "resolved" }),
    patch: () => ({ value: 0 }),
  },
  notification_deliveries: {
    key: ["id"],
    seed: async (w) => w.row("notification_deliveries", { org_id: w.orgA, channel_id: (await channel(w)).id, event: "test" }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, channel_id: (await channel(w)).id, event: "test", status: "delivered" }),
    patch: () => ({ status: "delivered" }),
  },
  ml_settings: {
    key: ["org_id"],
    oneRowPerOrg: true,
    async seed(w) {
      const [r] = await w.db`select org_id from public.ml_settings where org_id = ${w.orgA}`;
      return r!;
    },
    insert: async (w) => ({ org_id: w.orgA, min_samples_for_retrain: 7 }),
    patch: () => ({ min_samples_for_retrain: 1 + Math.floor(Math.random() * 100000) }),
  },
  feedback_themes: {
    key: ["id"],
    seed: (w) => theme(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "forged", size: 1, window_from: day(1), window_to: day(0) }),
    patch: () => ({ name: "Renamed" }),
  },
  feedback_theme_items: {
    key: ["theme_id", "feedback_id"],
    seed: async (w) => w.row("feedback_theme_items", { org_id: w.orgA, theme_id: (await theme(w)).id, feedback_id: (await feedback(w)).id, similarity: 0.9 }),
    insert: async (w) => ({ org_id: w.orgA, theme_id: (await theme(w)).id, feedback_id: (await feedback(w)).id, similarity: 1 }),
    patch: () => ({ similarity: 0.1 }),
  },

  opt_sessions: {
    key: ["id"],
    seed: (w) => session(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, initial_prompt: "Write a refund reply" }),
    patch: () => ({ status: "clarifying" }),
  },
  opt_messages: {
    key: ["id"],
    seed: async (w) => w.row("opt_messages", { session_id: (await session(w)).id, user_id: w.people.curator.id, role: "user", kind: "answer", content: w.db.json({ text: "hi" }) }),
    insert: async (w) => ({ session_id: (await session(w)).id, role: "user", kind: "note", content: { text: `forged ${u()}` } }),
    patch: () => ({ kind: "note" }),
  },
  opt_feedback: {
    key: ["id"],
    seed: async (w) => w.row("opt_feedback", { session_id: (await session(w)).id, user_id: w.people.curator.id, rating: 4 }),
    insert: async (w) => ({ id: u(), session_id: (await session(w)).id, rating: 5 }),
    patch: () => ({ rating: 1 }),
  },
  doc_updates: {
    key: ["id"],
    seed: async (w) => w.row("doc_updates", { doc_id: `case:${(await kase(w)).id}`, update: Buffer.from([1, 2, 3]), author: w.people.curator.id }),
    insert: async (w) => ({ doc_id: `case:${(await kase(w)).id}`, update: "\\x010203" }),
    patch: () => ({ client_id: 42 }),
  },
  doc_snapshots: {
    key: ["id"],
    seed: async (w) => w.row("doc_snapshots", { doc_id: `case:${(await kase(w)).id}`, snapshot: Buffer.from([1, 2, 3]), merged_updates: 1 }),
    insert: async (w) => ({ doc_id: `case:${(await kase(w)).id}`, snapshot: "\\x010203", merged_updates: 1 }),
    patch: () => ({ merged_updates: 99 }),
  },
  datasets: {
    key: ["id"],
    seed: (w) => w.row("datasets", { org_id: w.orgA, name: slug("ds") }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: slug("forged") }),
    patch: () => ({ description: "changed" }),
  },
  dataset_versions: {
    key: ["id"],
    seed: (w) => draftVersion(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, dataset_id: (await w.row("datasets", { org_id: w.orgA, name: slug("ds") })).id, version: 1, status: "published" }),
    patch: () => ({ status: "published" }),
  },
  dataset_items: {
    key: ["id"],
    seed: async (w) => w.row("dataset_items", { org_id: w.orgA, version_id: (await draftVersion(w)).id, position: 0, query: "q" }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, version_id: (await draftVersion(w)).id, position: 0, query: `added ${u()}` }),
    patch: () => ({ expected: "changed" }),
  },
  evaluators: {
    key: ["id"],
    seed: (w) => w.row("evaluators", { org_id: w.orgA, name: slug("ev"), kind: "deterministic", config: w.db.json({ type: "token_f1" }) }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: slug("ev"), kind: "deterministic", config: { type: "rouge_l" } }),
    patch: () => ({ config: { type: "exact_match" } }),
  },
  experiments: {
    key: ["id"],
    seed: async (w) => (await experiment(w)).experiment,
    insert: async (w) => {
      const { version } = await publishedItem(w);
      return { id: u(), org_id: w.orgA, job_id: (await job(w)).id, name: "forged", dataset_version_id: version.id, variants: [] };
    },
    patch: () => ({ name: "renamed" }),
  },
  experiment_results: {
    key: ["id"],
    seed: async (w) => {
      const { experiment: e, item } = await experiment(w);
      return w.row("experiment_results", { org_id: w.orgA, experiment_id: e.id, item_id: item.id, variant: 0, output: "o" });
    },
    insert: async (w) => {
      const { experiment: e, item } = await experiment(w);
      return { org_id: w.orgA, experiment_id: e.id, item_id: item.id, variant: 0, output: "forged" };
    },
    patch: () => ({ output: "tampered" }),
  },
  doc_clients: {
    key: ["doc_id", "client_id", "author"],
    seed: async (w) => w.row("doc_clients", { doc_id: `case:${(await kase(w)).id}`, client_id: 7, author: w.people.curator.id }),
    insert: async (w) => ({ doc_id: `case:${(await kase(w)).id}`, client_id: 8, author: w.people.curator.id }),
    patch: () => ({ first_seen: "2020-01-01T00:00:00Z" }),
  },
  score_configs: {
    key: ["id"],
    seed: (w) => scoreConfig(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: slug("new-rubric"), kind: "numeric", min_value: 1, max_value: 5, step: 1 }),
    patch: () => ({ description: "What helpfulness means here" }),
  },
  review_queues: {
    key: ["id"],
    seed: (w) => reviewQueue(w),
    insert: async (w) => ({ id: u(), org_id: w.orgA, name: "New queue", source_kind: "feedback", source: {}, score_config_ids: [(await scoreConfig(w)).id] }),
    patch: () => ({ status: "closed" }),
  },
  review_items: {
    key: ["id"],
    seed: async (w) => (await reviewItem(w)).item,
    insert: async (w) => ({ id: u(), org_id: w.orgA, queue_id: (await reviewQueue(w)).id, position: 99, source_kind: "feedback", source_id: u() }),
    patch: () => ({ status: "complete" }),
  },
  review_assignments: {
    key: ["id"],
    seed: async (w) => (await curatorScore(w)).assignment,
    insert: async (w, actor) => {
      const { queue, item } = await reviewItem(w);
      return { id: u(), org_id: w.orgA, queue_id: queue.id, item_id: item.id, reviewer_id: actor === "anon" ? w.people.reviewer.id : w.people[actor].id, slot: 2, status: "submitted" };
    },
    patch: () => ({ status: "released" }),
  },
  scores: {
    key: ["id"],
    seed: async (w) => (await curatorScore(w)).score,
    insert: async (w, actor) => {
      const { queue, item, rubric, assignment } = await curatorScore(w);
      return { id: u(), org_id: w.orgA, queue_id: queue.id, item_id: item.id, assignment_id: assignment.id, reviewer_id: actor === "anon" ? w.people.reviewer.id : w.people[actor].id, score_config_id: rubric, value: false };
    },
    patch: () => ({ value: false }),
  },
  adjudications: {
    key: ["id"],
    async seed(w) {
      const { queue, item, rubric } = await curatorScore(w, "complete");
      return w.row("adjudications", { org_id: w.orgA, queue_id: queue.id, item_id: item.id, score_config_id: rubric, value: w.db.json(false), reason: "seeded decision", decided_by: w.people.admin.id });
    },
    insert: async (w) => {
      const { queue, item, rubric } = await curatorScore(w, "complete");
      return { id: u(), org_id: w.orgA, queue_id: queue.id, item_id: item.id, score_config_id: rubric, value: true, reason: "forged decision" };
    },
    patch: () => ({ value: true }),
  },
  // Seeded and inserted disabled: the enabled ones are limited per organization (ONLINE_EVAL_LIMITS).
  online_evaluators: {
    key: ["id"],
    seed: async (w) => w.row("online_evaluators", { org_id: w.orgA, evaluator_id: (await deterministicEvaluator(w)).id, sampling_rate: 0.5, enabled: false }),
    insert: async (w) => ({ id: u(), org_id: w.orgA, evaluator_id: (await deterministicEvaluator(w)).id, sampling_rate: 1, enabled: false }),
    patch: () => ({ sampling_rate: 0.25 }),
  },
  online_eval_results: {
    key: ["id"],
    seed: async (w) => {
      const { rule, request } = await onlineResultParts(w);
      return w.row("online_eval_results", { org_id: w.orgA, rule_id: rule.id, evaluator_id: rule.evaluator_id, ai_request_id: request.id, function_name: request.function_name, model: request.model, request_at: request.created_at, score: 1 });
    },
    insert: async (w) => {
      const { rule, request } = await onlineResultParts(w);
      return { org_id: w.orgA, rule_id: rule.id, evaluator_id: rule.evaluator_id, ai_request_id: request.id, function_name: request.function_name, model: request.model, request_at: request.created_at, score: 0 };
    },
    patch: () => ({ score: 0 }),
  },
  judge_scores: {
    key: ["id"],
    async seed(w) {
      const { queue, item, rubric, job: j } = await judgeScore(w);
      return w.row("judge_scores", { org_id: w.orgA, job_id: j.id, queue_id: queue.id, item_id: item.id, score_config_id: rubric, value: w.db.json(true), model: "offline-strong-1" });
    },
    insert: async (w) => {
      const { queue, item, rubric, job: j } = await judgeScore(w);
      return { org_id: w.orgA, job_id: j.id, queue_id: queue.id, item_id: item.id, score_config_id: rubric, value: false, model: "forged" };
    },
    patch: () => ({ value: false }),
  },
  review_reports: {
    key: ["queue_id"],
    async seed(w) {
      const { queue } = await curatorScore(w, "complete");
      return w.row("review_reports", { queue_id: queue.id, org_id: w.orgA, report: w.db.json({ items: 1, ratings: 1 }), scores_count: 1 });
    },
    insert: async (w) => ({ queue_id: (await reviewQueue(w)).id, org_id: w.orgA, report: { items: 0, ratings: 0, forged: true }, scores_count: 0 }),
    patch: () => ({ report: { forged: true } }),
  },
};

async function deterministicEvaluator(w: World) {
  return w.row("evaluators", { org_id: w.orgA, name: slug("ev"), kind: "deterministic", config: w.db.json({ type: "length", min: 1 }) });
}
async function onlineResultParts(w: World) {
  const rule = await w.row("online_evaluators", { org_id: w.orgA, evaluator_id: (await deterministicEvaluator(w)).id, sampling_rate: 0, enabled: false });
  const request = await w.row("ai_requests", { org_id: w.orgA, function_name: "suggest-answer", model: "offline-fast-1", status: "ok" });
  return { rule, request };
}
