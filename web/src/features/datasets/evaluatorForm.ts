/**
 * The "New evaluator" form's state and the configuration it stands for, both ways. The form keeps what
 * the user typed (numbers as text, so a half-typed field is not lost); the configuration is what
 * public.evaluators.config stores, and the zod schemas in @review/shared/datasets/evaluators are the only
 * judge of whether it is valid (this module builds, it does not validate).
 */
import { DETERMINISTIC_TYPES, DeterministicCheck, LLM_JUDGE_MODES, LlmJudgeConfig } from "@review/shared/datasets/evaluators";

export type EvaluatorKindInput = "deterministic" | "llm_judge";
export type DeterministicType = (typeof DETERMINISTIC_TYPES)[number];
export type JudgeMode = (typeof LLM_JUDGE_MODES)[number];

export type DeterministicForm = {
  type: DeterministicType;
  value: string;
  caseSensitive: boolean;
  pattern: string;
  flags: string;
  /** Comma-separated. */
  requiredKeys: string;
  min: string;
  max: string;
  maxMs: string;
  maxUsd: string;
};

export type JudgeForm = {
  mode: JudgeMode;
  rubric: string;
  model: string;
  min: string;
  max: string;
  step: string;
  labels: { value: string; label: string }[];
  useReference: boolean;
};

export const DEFAULT_DETERMINISTIC: DeterministicForm = {
  type: "token_f1", value: "", caseSensitive: false, pattern: "\\d+", flags: "", requiredKeys: "", min: "1", max: "800", maxMs: "2000", maxUsd: "0.01",
};

export const DEFAULT_JUDGE: JudgeForm = {
  mode: "pairwise", rubric: "", model: "", min: "1", max: "5", step: "", labels: [], useReference: true,
};

/** A number typed in a field: blank is "not given"; anything else that is not a number stays as text so zod names the field. */
function num(s: string): number | string | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function deterministicConfig(f: DeterministicForm): Record<string, unknown> {
  switch (f.type) {
    case "exact_match": return { type: f.type, caseSensitive: f.caseSensitive };
    case "contains": return defined({ type: f.type, value: f.value === "" ? undefined : f.value, caseSensitive: f.caseSensitive });
    case "regex": return { type: f.type, pattern: f.pattern, flags: f.flags };
    case "json_valid": return { type: f.type, requiredKeys: f.requiredKeys.split(",").map((k) => k.trim()).filter(Boolean) };
    case "token_f1": case "rouge_l": return { type: f.type };
    case "length": return defined({ type: f.type, min: num(f.min) ?? 0, max: num(f.max) });
    case "latency": return { type: f.type, maxMs: num(f.maxMs) };
    case "cost": return { type: f.type, maxUsd: num(f.maxUsd) };
  }
}

export function judgeConfig(f: JudgeForm): Record<string, unknown> {
  const model = f.model.trim();
  return defined({
    mode: f.mode,
    rubric: f.rubric,
    model: model === "" ? undefined : model,
    scale: f.mode === "rubric"
      ? defined({ min: num(f.min), max: num(f.max), step: num(f.step), labels: f.labels.map((l) => ({ value: num(l.value), label: l.label })) })
      : undefined,
    useReference: f.useReference,
  });
}

const str = (x: unknown, fallback = ""): string => (x === undefined || x === null ? fallback : String(x));

/**
 * The form for a configuration typed as JSON. Unknown or mistyped fields do not reach the form (the
 * JSON stays what the user typed, and the schema reports them); missing ones keep the form's defaults.
 */
export function deterministicForm(config: unknown, base: DeterministicForm = DEFAULT_DETERMINISTIC): DeterministicForm {
  const c = (config && typeof config === "object" ? config : {}) as Record<string, unknown>;
  const type = (DETERMINISTIC_TYPES as readonly string[]).includes(str(c.type)) ? (c.type as DeterministicType) : base.type;
  return {
    type,
    value: typeof c.value === "string" ? c.value : type === "contains" ? "" : base.value,
    caseSensitive: typeof c.caseSensitive === "boolean" ? c.caseSensitive : false,
    pattern: typeof c.pattern === "string" ? c.pattern : base.pattern,
    flags: typeof c.flags === "string" ? c.flags : type === "regex" ? "" : base.flags,
    requiredKeys: Array.isArray(c.requiredKeys) ? c.requiredKeys.map((k) => str(k)).join(", ") : type === "json_valid" ? "" : base.requiredKeys,
    min: c.min !== undefined ? str(c.min) : type === "length" ? "" : base.min,
    max: c.max !== undefined ? str(c.max) : type === "length" ? "" : base.max,
    maxMs: c.maxMs !== undefined ? str(c.maxMs) : base.maxMs,
    maxUsd: c.maxUsd !== undefined ? str(c.maxUsd) : base.maxUsd,
  };
}

export function judgeForm(config: unknown, base: JudgeForm = DEFAULT_JUDGE): JudgeForm {
  const c = (config && typeof config === "object" ? config : {}) as Record<string, unknown>;
  const scale = (c.scale && typeof c.scale === "object" ? c.scale : null) as Record<string, unknown> | null;
  const labels = scale && Array.isArray(scale.labels) ? scale.labels : [];
  return {
    mode: (LLM_JUDGE_MODES as readonly string[]).includes(str(c.mode)) ? (c.mode as JudgeMode) : "pairwise",
    rubric: typeof c.rubric === "string" ? c.rubric : "",
    model: typeof c.model === "string" ? c.model : "",
    min: scale ? str(scale.min) : base.min,
    max: scale ? str(scale.max) : base.max,
    step: scale ? str(scale.step) : base.step,
    labels: scale
      ? labels.map((l) => { const o = (l && typeof l === "object" ? l : {}) as Record<string, unknown>; return { value: str(o.value), label: str(o.label) }; })
      : base.labels,
    useReference: typeof c.useReference === "boolean" ? c.useReference : true,
  };
}

export type ConfigIssue = { path: string; message: string };

/** What the shared schema says about a configuration: none when it can be saved. */
export function configIssues(kind: EvaluatorKindInput, config: unknown): ConfigIssue[] {
  const r = kind === "deterministic" ? DeterministicCheck.safeParse(config) : LlmJudgeConfig.safeParse(config);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join(".") || "config", message: i.message }));
}

/** A JSON text: the configuration, or why it is not one. */
export function parseConfigText(text: string): { ok: true; config: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, config: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, message: "The configuration is not JSON" };
  }
}

export const configText = (config: unknown) => JSON.stringify(config, null, 1);

/** A rubric judge to start from: the scale 1–5 with its ends and middle labelled. */
export const RUBRIC_EXAMPLE: Pick<JudgeForm, "rubric" | "min" | "max" | "labels"> = {
  rubric: "Does the answer resolve the customer's question directly, with the concrete next step?",
  min: "1", max: "5",
  labels: [{ value: "1", label: "unhelpful" }, { value: "3", label: "partial" }, { value: "5", label: "resolves it" }],
};

/** The form's fields for both kinds (switching kind keeps what was typed in the other) and the JSON they build. */
export type EvaluatorEditorState = { det: DeterministicForm; judge: JudgeForm; text: string };

export function initialEditorState(kind: EvaluatorKindInput): EvaluatorEditorState {
  return { det: DEFAULT_DETERMINISTIC, judge: DEFAULT_JUDGE, text: configText(kind === "deterministic" ? deterministicConfig(DEFAULT_DETERMINISTIC) : judgeConfig(DEFAULT_JUDGE)) };
}

/** The state for another kind: the JSON becomes that kind's form's configuration. */
export function switchKind(s: EvaluatorEditorState, kind: EvaluatorKindInput): EvaluatorEditorState {
  return { ...s, text: configText(kind === "deterministic" ? deterministicConfig(s.det) : judgeConfig(s.judge)) };
}

/** The configuration to save, or the issues (field path → message) that keep it from being saved. */
export function editorResult(kind: EvaluatorKindInput, s: EvaluatorEditorState): { config: Record<string, unknown> | null; issues: ConfigIssue[] } {
  const parsed = parseConfigText(s.text);
  if (!parsed.ok) return { config: null, issues: [{ path: "config", message: parsed.message }] };
  const issues = configIssues(kind, parsed.config);
  return { config: issues.length ? null : (parsed.config as Record<string, unknown>), issues };
}

