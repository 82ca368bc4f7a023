import { DETERMINISTIC_TYPES, LLM_JUDGE_MODES } from "@review/shared/datasets/evaluators";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import {
  configText, deterministicConfig, deterministicForm, editorResult, judgeConfig, judgeForm, parseConfigText, RUBRIC_EXAMPLE,
  type DeterministicForm, type DeterministicType, type EvaluatorEditorState, type EvaluatorKindInput, type JudgeForm, type JudgeMode,
} from "./evaluatorForm.ts";

const TYPE_LABELS: Record<DeterministicType, string> = {
  exact_match: "Exact match with the expected answer", contains: "Contains", regex: "Matches a regular expression", json_valid: "Valid JSON",
  token_f1: "Token F1 vs expected", rouge_l: "ROUGE-L vs expected", length: "Length within bounds", latency: "Latency under a threshold", cost: "Cost under a threshold",
};
const MODE_LABELS: Record<JudgeMode, string> = {
  pairwise: "Pairwise: against the baseline variant", reference: "Reference: against the expected answer", rubric: "Rubric: each answer on a scale",
};

export function EvaluatorForm({ kind, state, onChange }: { kind: EvaluatorKindInput; state: EvaluatorEditorState; onChange(s: EvaluatorEditorState): void }) {
  const setDet = (patch: Partial<DeterministicForm>) => { const det = { ...state.det, ...patch }; onChange({ ...state, det, text: configText(deterministicConfig(det)) }); };
  const setJudge = (patch: Partial<JudgeForm>) => { const judge = { ...state.judge, ...patch }; onChange({ ...state, judge, text: configText(judgeConfig(judge)) }); };
  const onText = (text: string) => {
    const parsed = parseConfigText(text);
    if (!parsed.ok) return onChange({ ...state, text });
    onChange(kind === "deterministic" ? { ...state, text, det: deterministicForm(parsed.config, state.det) } : { ...state, text, judge: judgeForm(parsed.config, state.judge) });
  };
  const { issues } = editorResult(kind, state);
  const d = state.det;
  const j = state.judge;
  const setLabel = (i: number, patch: Partial<JudgeForm["labels"][number]>) => setJudge({ labels: j.labels.map((l, k) => (k === i ? { ...l, ...patch } : l)) });

  return (
    <div className="stack" data-testid="evaluator-form">
      {kind === "deterministic" ? (
        <>
          <Field label="Check type">
            <select aria-label="Check type" className="input" value={d.type} onChange={(e) => setDet({ type: e.target.value as DeterministicType })}>
              {DETERMINISTIC_TYPES.map((t) => <option key={t} value={t}>{TYPE_LABELS[t]}</option>)}
            </select>
          </Field>
          {d.type === "contains" ? <Field label="Text to find" hint="Empty: the item's expected answer"><input aria-label="Text to find" className="input" value={d.value} onChange={(e) => setDet({ value: e.target.value })} /></Field> : null}
          {d.type === "regex" ? (
            <div className="row">
              <Field label="Pattern"><input aria-label="Pattern" className="input" value={d.pattern} onChange={(e) => setDet({ pattern: e.target.value })} /></Field>
              <Field label="Flags" hint="any of i m s u"><input aria-label="Flags" className="input" value={d.flags} onChange={(e) => setDet({ flags: e.target.value })} size={4} /></Field>
            </div>
          ) : null}
          {d.type === "json_valid" ? <Field label="Required keys" hint="comma-separated; empty: any JSON"><input aria-label="Required keys" className="input" value={d.requiredKeys} onChange={(e) => setDet({ requiredKeys: e.target.value })} /></Field> : null}
          {d.type === "length" ? (
            <div className="row">
              <Field label="Min characters"><input aria-label="Min characters" className="input" type="number" min="0" step="1" value={d.min} onChange={(e) => setDet({ min: e.target.value })} /></Field>
              <Field label="Max characters" hint="empty: no limit"><input aria-label="Max characters" className="input" type="number" min="1" step="1" value={d.max} onChange={(e) => setDet({ max: e.target.value })} /></Field>
            </div>
          ) : null}
          {d.type === "latency" ? <Field label="Max latency (ms)"><input aria-label="Max latency (ms)" className="input" type="number" min="1" step="1" value={d.maxMs} onChange={(e) => setDet({ maxMs: e.target.value })} /></Field> : null}
          {d.type === "cost" ? <Field label="Max cost (USD)"><input aria-label="Max cost (USD)" className="input" type="number" min="0" step="any" value={d.maxUsd} onChange={(e) => setDet({ maxUsd: e.target.value })} /></Field> : null}
          {d.type === "exact_match" || d.type === "contains" ? (
            <label className="row small"><input type="checkbox" checked={d.caseSensitive} onChange={(e) => setDet({ caseSensitive: e.target.checked })} /> Case sensitive</label>
          ) : null}
        </>
      ) : (
        <>
          <Field label="Judge mode">
            <select aria-label="Judge mode"
              className="input"
              value={j.mode}
              onChange={(e) => {
                const mode = e.target.value as JudgeMode;
                // A rubric judge with nothing typed yet starts from a worked example rather than an empty scale.
                setJudge(mode === "rubric" && !j.rubric.trim() && !j.labels.length ? { mode, ...RUBRIC_EXAMPLE } : { mode });
              }}
            >
              {LLM_JUDGE_MODES.map((m) => <option key={m} value={m}>{MODE_LABELS[m]}</option>)}
            </select>
          </Field>
          <Field label="Rubric" hint={j.mode === "rubric" ? "What the judge scores, in its words" : "Optional guidance for the judge"}>
            <textarea aria-label="Rubric" className="input" rows={3} value={j.rubric} onChange={(e) => setJudge({ rubric: e.target.value })} />
          </Field>
          <Field label="Judge model" hint="Empty: the experiment's judge model, else the route's strong model">
            <input aria-label="Judge model" className="input" value={j.model} onChange={(e) => setJudge({ model: e.target.value })} placeholder="e.g. offline-strong-1" />
          </Field>
          {j.mode === "rubric" ? (
            <fieldset className="fieldset stack">
              <legend className="field-label">Scale</legend>
              <div className="row">
                <Field label="Scale min"><input aria-label="Scale min" className="input" type="number" step="1" value={j.min} onChange={(e) => setJudge({ min: e.target.value })} /></Field>
                <Field label="Scale max"><input aria-label="Scale max" className="input" type="number" step="1" value={j.max} onChange={(e) => setJudge({ max: e.target.value })} /></Field>
                <Field label="Step" hint="empty: 1"><input aria-label="Step" className="input" type="number" min="0" step="any" value={j.step} onChange={(e) => setJudge({ step: e.target.value })} /></Field>
              </div>
              <div className="stack" aria-label="Labelled points" role="group">
                {j.labels.map((l, i) => (
                  <div className="row" key={i} data-testid="scale-label-row">
                    <input className="input" type="number" step="any" value={l.value} onChange={(e) => setLabel(i, { value: e.target.value })} aria-label={`Point ${i + 1} value`} style={{ width: 90 }} />
                    <input className="input grow" value={l.label} onChange={(e) => setLabel(i, { label: e.target.value })} aria-label={`Point ${i + 1} label`} />
                    <Button type="button" onClick={() => setJudge({ labels: j.labels.filter((_, k) => k !== i) })} aria-label={`Remove point ${i + 1}`}>Remove</Button>
                  </div>
                ))}
                <div><Button type="button" onClick={() => setJudge({ labels: [...j.labels, { value: "", label: "" }] })}>Add labelled point</Button></div>
              </div>
            </fieldset>
          ) : null}
          <label className="row small"><input type="checkbox" checked={j.useReference} onChange={(e) => setJudge({ useReference: e.target.checked })} /> Use the expected answer when there is one</label>
        </>
      )}
      {issues.length ? (
        <ul className="form-error small" data-testid="config-issues" aria-label="Configuration problems">
          {issues.map((i, k) => <li key={k}><code>{i.path}</code>: {i.message}</li>)}
        </ul>
      ) : null}
      <details>
        <summary className="small">Edit as JSON</summary>
        <Field label="Configuration (JSON)"><textarea aria-label="Configuration (JSON)" className="input" rows={6} value={state.text} onChange={(e) => onText(e.target.value)} spellCheck={false} /></Field>
      </details>
    </div>
  );
}
