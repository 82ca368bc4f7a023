import { describe, expect, it } from "vitest";
import { DeterministicCheck, LlmJudgeConfig } from "@review/shared/datasets/evaluators";
import {
  configIssues, DEFAULT_DETERMINISTIC, DEFAULT_JUDGE, deterministicConfig, deterministicForm, editorResult, initialEditorState, judgeConfig, judgeForm,
  RUBRIC_EXAMPLE, switchKind,
} from "./evaluatorForm.ts";

describe("the evaluator form's configuration", () => {
  it("builds each deterministic type's configuration from its fields, accepted by the shared schema", () => {
    const f = { ...DEFAULT_DETERMINISTIC, value: "refund", pattern: "^\\d+$", flags: "i", requiredKeys: "a, b,", min: "2", max: "", maxMs: "1500", maxUsd: "0.02" };
    expect(deterministicConfig({ ...f, type: "contains" })).toEqual({ type: "contains", value: "refund", caseSensitive: false });
    expect(deterministicConfig({ ...f, type: "regex" })).toEqual({ type: "regex", pattern: "^\\d+$", flags: "i" });
    expect(deterministicConfig({ ...f, type: "json_valid" })).toEqual({ type: "json_valid", requiredKeys: ["a", "b"] });
    expect(deterministicConfig({ ...f, type: "length" })).toEqual({ type: "length", min: 2 });
    expect(deterministicConfig({ ...f, type: "latency" })).toEqual({ type: "latency", maxMs: 1500 });
    expect(deterministicConfig({ ...f, type: "cost" })).toEqual({ type: "cost", maxUsd: 0.02 });
    for (const type of ["exact_match", "contains", "regex", "json_valid", "token_f1", "rouge_l", "length", "latency", "cost"] as const) {
      expect(DeterministicCheck.safeParse(deterministicConfig({ ...f, type })).success).toBe(true);
    }
    // An empty "text to find" means the expected answer: the key is left out, not sent empty.
    expect(deterministicConfig({ ...f, type: "contains", value: "" })).toEqual({ type: "contains", caseSensitive: false });
  });

  it("builds a rubric judge with its scale and labelled points, and round-trips it through JSON", () => {
    const form = { ...DEFAULT_JUDGE, mode: "rubric" as const, ...RUBRIC_EXAMPLE, model: " offline-strong-1 ", useReference: false };
    const config = judgeConfig(form);
    expect(config).toEqual({
      mode: "rubric", rubric: RUBRIC_EXAMPLE.rubric, model: "offline-strong-1", useReference: false,
      scale: { min: 1, max: 5, labels: [{ value: 1, label: "unhelpful" }, { value: 3, label: "partial" }, { value: 5, label: "resolves it" }] },
    });
    expect(LlmJudgeConfig.safeParse(config).success).toBe(true);
    expect(judgeConfig(judgeForm(JSON.parse(JSON.stringify(config))))).toEqual(config);
    // A pairwise judge carries no scale (the schema refuses one), whatever the scale fields hold.
    expect(judgeConfig({ ...form, mode: "pairwise" })).not.toHaveProperty("scale");
  });

  it("reports the schema's problems by field, including a half-typed number", () => {
    const config = judgeConfig({ ...DEFAULT_JUDGE, mode: "rubric", rubric: "", min: "5", max: "1", labels: [{ value: "9", label: "x" }, { value: "1", label: "y" }] });
    const paths = configIssues("llm_judge", config).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["rubric", "scale.max", "scale.labels.0.value"]));
    // Text where a number belongs reaches the schema as text, so the message names that point's value.
    const typed = judgeConfig({ ...DEFAULT_JUDGE, mode: "rubric", rubric: "r", labels: [{ value: "1", label: "a" }, { value: "abc", label: "b" }] });
    expect(configIssues("llm_judge", typed).map((i) => i.path)).toEqual(["scale.labels.1.value"]);
    expect(configIssues("deterministic", deterministicConfig({ ...DEFAULT_DETERMINISTIC, type: "regex", pattern: "(" }))).toEqual([{ path: "pattern", message: "not a valid regular expression" }]);
  });

  it("keeps form and JSON in step: JSON typed by hand fills the form; switching kind rebuilds the JSON", () => {
    const f = deterministicForm({ type: "length", min: 3, max: 40 });
    expect([f.type, f.min, f.max]).toEqual(["length", "3", "40"]);
    expect(deterministicConfig(f)).toEqual({ type: "length", min: 3, max: 40 });
    const s = initialEditorState("deterministic");
    expect(editorResult("deterministic", s)).toEqual({ config: { type: "token_f1" }, issues: [] });
    const judge = switchKind(s, "llm_judge");
    expect(editorResult("llm_judge", judge).config).toEqual({ mode: "pairwise", rubric: "", useReference: true });
    expect(editorResult("llm_judge", { ...judge, text: "{ nope" })).toEqual({ config: null, issues: [{ path: "config", message: "The configuration is not JSON" }] });
  });
});
