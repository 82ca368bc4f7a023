/**
 * Roles and what each may do: the one home of this rule. The database holds the same table
 * (private.role_capabilities, supabase/migrations/20260101000000_tenancy.sql) and its policies and
 * functions ask it; tests/platform/capabilities.db.test.ts asserts the two are equal. The web derives
 * what it offers from here, and the Edge Functions check with requireCapability.
 *
 * Adding a capability: add it here and in a migration (insert into private.role_capabilities), use it
 * in the policies/functions that need it, and let the test tell you if the two disagree.
 */
export const ROLES = ["admin", "curator", "reviewer", "manager"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = { admin: "Admin", curator: "Curator", reviewer: "Reviewer", manager: "Manager" };

const ALL: readonly Role[] = ROLES;
const WORKERS: readonly Role[] = ["admin", "curator", "reviewer"];
const EDITORS: readonly Role[] = ["admin", "curator"];
const ADMIN: readonly Role[] = ["admin"];
const WATCHERS: readonly Role[] = ["admin", "manager"];

export const CAPABILITIES = {
  /** Read the organization's feedback, cases, prompts, jobs, models (membership). */
  "org:read": ALL,
  /** Rename or delete the organization. */
  "org:manage": ADMIN,
  /** Invite, change roles, remove members. */
  "member:manage": ADMIN,
  /** Add feedback by hand and triage it (status, labels, claims). */
  "feedback:write": WORKERS,
  "feedback:delete": ADMIN,
  /** Open an improvement case (an LLM suggestion) for a feedback row. */
  "case:open": WORKERS,
  /** Co-edit a pending case's answer and regenerate its suggestion. */
  "case:edit": EDITORS,
  /** Approve or reject a case. */
  "case:decide": EDITORS,
  "case:delete": ADMIN,
  "comment:write": WORKERS,
  /** Delete anyone's comment. */
  "comment:moderate": ADMIN,
  "training:manage": EDITORS,
  /** Create prompts and versions, co-edit candidates, run the optimizer. */
  "prompt:edit": EDITORS,
  "prompt:delete": ADMIN,
  /** Start the A/B gate for a candidate, or override it with a reason. */
  "prompt:promote": ADMIN,
  "prompt:rollback": ADMIN,
  /** Build, import, edit and publish datasets (test sets); save evaluator versions. */
  "dataset:edit": EDITORS,
  /** Start, cancel and resume experiments (variants over a dataset version). */
  "experiment:run": ADMIN,
  "job:start": ADMIN,
  "job:cancel": ADMIN,
  "model:manage": ADMIN,
  /** LLM usage, cost and the boards. */
  "usage:read": WATCHERS,
  "audit:read": WATCHERS,
  "ingest_key:manage": ADMIN,
  /** Acknowledge and mute alerts, edit alert rules and notification channels, accept or dismiss retrain proposals. */
  "alert:manage": ADMIN,
  /** The alert centre: open alerts, their history, rules and the delivery log. */
  "alert:read": WATCHERS,
  /** Spend the organization's LLM budget (functions that call the LLM check their own capability too). */
  "llm:use": WORKERS,
  /** Send presence and broadcasts on the organization's private channels (managers only watch). */
  "presence:publish": WORKERS,
  /** Claim items in review queues and submit scores (blind until one's own are in). */
  "review:score": WORKERS,
  /** Create rubrics (score configs) and review queues; assign items by hand. */
  "review:manage": EDITORS,
  /** Decide an item's final score where reviewers disagree (audited). */
  "review:adjudicate": EDITORS,
  /** Run an LLM judge with the rubric prompt over a queue's items (spends the LLM budget), to compare it with people. */
  "review:judge": EDITORS,
  /** A queue's agreement report, adjudication list and exports. */
  "review:report": ["admin", "curator", "manager"],
  /** Read every score of every item at once, not blind (watchers: they never score). */
  "review:read_all": WATCHERS,
} as const satisfies Record<string, readonly Role[]>;

export type Capability = keyof typeof CAPABILITIES;

export function can(role: Role | null | undefined, capability: Capability): boolean {
  return !!role && (CAPABILITIES[capability] as readonly Role[]).includes(role);
}

/** The table as rows, sorted: what the database's private.role_capabilities must hold. */
export function capabilityRows(): Array<{ role: Role; capability: Capability }> {
  const rows: Array<{ role: Role; capability: Capability }> = [];
  for (const [capability, roles] of Object.entries(CAPABILITIES) as Array<[Capability, readonly Role[]]>) {
    for (const role of roles) rows.push({ role, capability });
  }
  return rows.sort((a, b) => a.role.localeCompare(b.role) || a.capability.localeCompare(b.capability));
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
