/**
 * The alert state machine, pure: one rule × one scope, given the value the rollups gave for its window,
 * the open alert (if any), and the time. The worker applies the returned transition in the database.
 *
 * - Fires when the value crosses the threshold with at least `minSample` observations in the window.
 *   Fewer observations are no verdict: quiet hours never fire an alert.
 * - A firing alert resolves only after the value has been back (or without verdict) for
 *   `hysteresisMinutes` without interruption; crossing again restarts that clock.
 * - There is at most one open alert per rule and scope (the database's unique partial index too), so a
 *   value that stays across the threshold keeps one alert open instead of opening one a minute.
 */
export const ALERT_METRICS = [
  "llm_latency_p95_ms",
  "llm_error_rate",
  "tokens_per_day",
  "drift_psi",
  "feedback_score",
  "queue_depth",
  "cost_per_day_usd",
  "online_eval_score",
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const METRIC_INFO: Record<AlertMetric, { label: string; unit: string; format(v: number): string; board: string }> = {
  llm_latency_p95_ms: { label: "LLM latency p95", unit: "ms", format: (v) => `${(v / 1000).toFixed(1)} s`, board: "boards" },
  llm_error_rate: { label: "LLM error rate", unit: "", format: (v) => `${(v * 100).toFixed(1)}%`, board: "boards" },
  tokens_per_day: { label: "Tokens per day", unit: "tokens", format: (v) => Math.round(v).toLocaleString("en-US"), board: "boards" },
  drift_psi: { label: "Rating drift (PSI)", unit: "", format: (v) => v.toFixed(3), board: "jobs" },
  feedback_score: { label: "Average feedback score (0–1)", unit: "", format: (v) => v.toFixed(2), board: "boards" },
  queue_depth: { label: "Jobs waiting", unit: "jobs", format: (v) => String(Math.round(v)), board: "jobs" },
  cost_per_day_usd: { label: "LLM cost per day", unit: "USD", format: (v) => `$${v.toFixed(2)}`, board: "boards" },
  online_eval_score: { label: "Online evaluation score", unit: "", format: (v) => v.toFixed(2), board: "boards" },
};

/**
 * What a rule can be split by: one alert for the whole organization, or one per function, model, prompt
 * version or (online evaluation only) evaluator. A scope value narrows the rule to one of them. Each
 * metric's rollup keeps only some of these keys, so METRIC_SCOPES says which splits mean something; the
 * database's alert_rules checks refuse the rest (tests/alerts/scopes.db.test.ts keeps the two equal).
 */
export const ALERT_SCOPES = ["org", "function", "model", "prompt_version", "evaluator"] as const;
export type AlertScope = (typeof ALERT_SCOPES)[number];

export const SCOPE_LABELS: Record<AlertScope, string> = {
  org: "the whole organization",
  function: "each function",
  model: "each model",
  prompt_version: "each prompt version",
  evaluator: "each evaluator",
};

const CALL_SCOPES = ["org", "function", "model", "prompt_version"] as const satisfies readonly AlertScope[];
export const METRIC_SCOPES: Record<AlertMetric, readonly AlertScope[]> = {
  llm_latency_p95_ms: CALL_SCOPES,
  llm_error_rate: CALL_SCOPES,
  tokens_per_day: CALL_SCOPES,
  cost_per_day_usd: CALL_SCOPES,
  // Ratings and drift checks are kept per model and prompt version, not per function.
  feedback_score: ["org", "model", "prompt_version"],
  drift_psi: ["org", "model", "prompt_version"],
  queue_depth: ["org"],
  // A length check and an LLM judge score on different footing: averaging them lets a passing check hide a
  // failing judge, which is why the default online-evaluation rule is per evaluator.
  online_eval_score: [...CALL_SCOPES, "evaluator"],
};

export type Comparator = ">" | "<";

export type RuleSpec = {
  comparator: Comparator;
  threshold: number;
  minSample: number;
  hysteresisMinutes: number;
};

/** What the rollups say for one scope: the value (null = nothing to compute from) and how many observations. */
export type Observation = { value: number | null; sample: number };

export type OpenAlert = { clearSince: Date | null };

export type Transition =
  | { kind: "none" }
  | { kind: "fire" }
  /** Still crossing: the open alert stays, its clock (if running) is reset. */
  | { kind: "still_firing" }
  /** Back within the threshold (or no verdict) but not yet for long enough. */
  | { kind: "clearing"; clearSince: Date }
  | { kind: "resolve" };

export function crosses(rule: Pick<RuleSpec, "comparator" | "threshold">, value: number): boolean {
  return rule.comparator === ">" ? value > rule.threshold : value < rule.threshold;
}

/** Whether an observation is a breach: enough sample and a value across the threshold. */
export function isBreach(rule: RuleSpec, obs: Observation): boolean {
  return obs.value !== null && Number.isFinite(obs.value) && obs.sample >= rule.minSample && crosses(rule, obs.value);
}

export function nextTransition(rule: RuleSpec, obs: Observation, open: OpenAlert | null, now: Date): Transition {
  const breach = isBreach(rule, obs);
  if (!open) return breach ? { kind: "fire" } : { kind: "none" };
  if (breach) return { kind: "still_firing" };
  const since = open.clearSince ?? now;
  if (now.getTime() - since.getTime() >= rule.hysteresisMinutes * 60_000) return { kind: "resolve" };
  return { kind: "clearing", clearSince: since };
}
