import { useMemo, useState, type FormEvent } from "react";
import { describeEvaluator, runsOnLiveTraffic } from "@review/shared/datasets/evaluators";
import { describeFilters, ONLINE_EVAL_LIMITS } from "@review/shared/datasets/online";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { EmptyState, ErrorState, Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { dateTime } from "../../lib/format.ts";
import { can } from "../../lib/permissions.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useOnlineEvalLive, useOnlineEvaluatorMutations, useOnlineEvaluators, useOnlineJudgeUsage, useOnlineResults, type OnlineResultRow } from "./onlineQueries.ts";
import { useEvaluators, usePromptVersions } from "./queries.ts";

/** Call sites that log LLM calls, offered as suggestions (any name can be typed). */
const KNOWN_FUNCTIONS = ["create-improvement-case", "regenerate-suggestion", "worker:experiment", "worker:ab-eval", "worker:themes"];

/**
 * Evaluators on live traffic: which evaluator runs on which share of new LLM calls, and the latest
 * scores. Curators and admins attach and change them (dataset:edit); results are shown to those the
 * database lets read them (evaluator editors and usage readers).
 */
export default function OnlineEvaluatorsPage() {
  const org = useCurrentOrg();
  const editor = can(org.role, "dataset:edit");
  const readsResults = editor || can(org.role, "usage:read");
  const rules = useOnlineEvaluators(org.org_id);
  const results = useOnlineResults(org.org_id, readsResults);
  const usage = useOnlineJudgeUsage(org.org_id, readsResults);
  useOnlineEvalLive(org.org_id);
  const { update, remove } = useOnlineEvaluatorMutations(org.org_id);
  const [adding, setAdding] = useState(false);
  const ruleName = (id: string) => {
    const r = rules.data?.find((x) => x.id === id);
    return r?.evaluators ? `${r.evaluators.name} v${r.evaluators.version}` : "removed rule";
  };

  return (
    <div className="page" data-testid="online-evaluators-page">
      <header className="page-head">
        <div>
          <h1>Online evaluation</h1>
          <div className="muted">Deterministic checks and rubric LLM judges scoring a sample of live LLM calls (a judge's value is shown normalized to 0–1). The scores feed the boards' trend and the “online evaluation score” alert.</div>
        </div>
        <span className="grow" />
        {editor ? <Button variant="primary" onClick={() => setAdding(true)}>Attach evaluator</Button> : null}
      </header>

      {rules.error ? <ErrorState error={rules.error} retry={() => void rules.refetch()} /> : rules.data?.length === 0 ? (
        <EmptyState title="No evaluator runs on live traffic yet.">{editor ? "Attach one with a sampling rate and filters." : "Curators and admins attach evaluators to live traffic."}</EmptyState>
      ) : (
        <table className="table" aria-label="Online evaluators">
          <thead><tr><th>Evaluator</th><th>Check</th><th className="num">Sampling</th><th>Filters</th><th className="num">Judge calls today</th><th>Status</th>{editor ? <th /> : null}</tr></thead>
          <tbody>
            {rules.data?.map((r) => (
              <tr key={r.id} data-testid="online-evaluator-row">
                <td><strong>{r.evaluators?.name}</strong> v{r.evaluators?.version}</td>
                <td className="muted small">{r.evaluators ? describeEvaluator(r.evaluators) : ""}</td>
                <td className="num">{Math.round(r.sampling_rate * 1000) / 10}%</td>
                <td className="small">{describeFilters(r)}</td>
                <td className="num small" data-testid="judge-usage">{r.evaluators?.kind === "llm_judge" ? `${usage.data?.find((u) => u.rule_id === r.id)?.calls ?? 0} / ${r.judge_calls_per_day}` : "—"}</td>
                <td><Badge tone={r.enabled ? "good" : "neutral"}>{r.enabled ? "on" : "off"}</Badge></td>
                {editor ? (
                  <td className="row">
                    <Button size="sm" onClick={() => update.mutate({ id: r.id, patch: { enabled: !r.enabled } }, { onError: (e) => toast.error("Could not change it", messageOf(e)) })}>{r.enabled ? "Turn off" : "Turn on"}</Button>
                    <Button size="sm" variant="danger" onClick={() => remove.mutate(r.id, { onError: (e) => toast.error("Could not remove it", messageOf(e)) })}>Remove</Button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {readsResults ? (
        <section className="card" style={{ marginTop: 16 }} aria-label="Recent online evaluation results">
          <h3 className="section-title">Recent results</h3>
          {results.error ? <ErrorState error={results.error} /> : results.data?.length ? (
            <table className="table" aria-label="Online evaluation results">
              <thead><tr><th>Scored</th><th>Evaluator</th><th>Function</th><th>Model</th><th className="num">Score</th><th>Output</th></tr></thead>
              <tbody>
                {results.data.map((x) => (
                  <tr key={x.id} data-testid="online-result-row">
                    <td className="muted small">{dateTime(x.created_at)}</td>
                    <td>{ruleName(x.rule_id)}</td>
                    <td className="small">{x.function_name}</td>
                    <td className="small">{x.model}</td>
                    <td className="num" data-testid="online-result-score">{x.score === null ? <span className="muted" title={x.details.reason}>—</span> : x.score.toFixed(2)}<JudgeNote d={x.details} /></td>
                    <td className="small muted" style={{ maxWidth: 420, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={x.details.output ?? ""}>{x.details.output ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <p className="muted">No sampled calls scored yet. New LLM calls that match a rule are scored by the worker within seconds.</p>}
        </section>
      ) : null}

      {editor ? <AttachDialog open={adding} onClose={() => setAdding(false)} /> : null}
    </div>
  );
}

/** A judge's raw value and label under its normalized score, or why the sample was not judged. */
function JudgeNote({ d }: { d: OnlineResultRow["details"] }) {
  if (d.skipped) return <div className="muted small" data-testid="judge-skipped">not judged: {d.reason}</div>;
  if (d.raw === undefined) return null;
  return <div className="muted small" title={d.judgeReason} data-testid="judge-raw">judge {d.raw}{d.label ? ` (${d.label})` : ""}</div>;
}

function AttachDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const org = useCurrentOrg();
  const evaluators = useEvaluators(org.org_id);
  const versions = usePromptVersions(org.org_id);
  const { add } = useOnlineEvaluatorMutations(org.org_id);
  // Live traffic has no expected answer and no baseline: deterministic checks and rubric judges, latest version of each.
  const choices = useMemo(() => {
    const seen = new Set<string>();
    return (evaluators.data ?? []).filter((e) => runsOnLiveTraffic(e) && (seen.has(e.name) ? false : (seen.add(e.name), true)));
  }, [evaluators.data]);
  const [cap, setCap] = useState(String(ONLINE_EVAL_LIMITS.defaultJudgeCallsPerRuleDay));
  const [evaluatorId, setEvaluatorId] = useState("");
  const [percent, setPercent] = useState("10");
  const [functionName, setFunctionName] = useState("");
  const [promptVersionId, setPromptVersionId] = useState("");
  const [model, setModel] = useState("");
  const rate = Number(percent) / 100;
  const rateError = percent.trim() === "" || !Number.isFinite(rate) || rate < 0 || rate > ONLINE_EVAL_LIMITS.maxSamplingRate ? `Between 0 and ${ONLINE_EVAL_LIMITS.maxSamplingRate * 100}%` : null;
  const chosen = evaluatorId || choices[0]?.id || "";
  const isJudge = choices.find((e) => e.id === chosen)?.kind === "llm_judge";
  const capN = Number(cap);
  const capError = isJudge && (!Number.isInteger(capN) || capN < 1 || capN > ONLINE_EVAL_LIMITS.maxJudgeCallsPerRuleDay) ? `A whole number from 1 to ${ONLINE_EVAL_LIMITS.maxJudgeCallsPerRuleDay}` : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rateError || capError || !chosen) return;
    add.mutate(
      { evaluatorId: chosen, samplingRate: rate, functionName: functionName.trim() || null, promptVersionId: promptVersionId || null, model: model.trim() || null, ...(isJudge ? { judgeCallsPerDay: capN } : {}) },
      {
        onSuccess: () => { toast.success("Evaluator attached to live traffic", `${percent}% of matching calls`); onClose(); },
        onError: (err) => toast.error("Could not attach it", messageOf(err)),
      },
    );
  };

  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Attach an evaluator to live traffic" description="New LLM calls that match the filters are sampled at this rate and scored by the worker.">
      <form className="stack" onSubmit={submit} aria-label="Attach evaluator">
        <Field label="Evaluator" hint={choices.length ? undefined : "Save a deterministic evaluator or a rubric judge on the Experiments page first."}>
          <select value={chosen} onChange={(e) => setEvaluatorId(e.target.value)} aria-label="Evaluator">
            {choices.map((e) => <option key={e.id} value={e.id}>{e.name} v{e.version} · {describeEvaluator(e)}</option>)}
          </select>
        </Field>
        <Field label="Sampling rate (%)" error={rateError}>
          <input type="number" min={0} max={ONLINE_EVAL_LIMITS.maxSamplingRate * 100} step="any" value={percent} onChange={(e) => setPercent(e.target.value)} aria-label="Sampling rate (%)" />
        </Field>
        {isJudge ? (
          <Field label="Judge calls per day" hint={`The spend guard: past it (or $${ONLINE_EVAL_LIMITS.maxJudgeCostUsdPerRuleDay} a day), samples are listed as not judged until tomorrow (UTC).`} error={capError}>
            <input type="number" min={1} max={ONLINE_EVAL_LIMITS.maxJudgeCallsPerRuleDay} step={1} value={cap} onChange={(e) => setCap(e.target.value)} aria-label="Judge calls per day" />
          </Field>
        ) : null}
        <Field label="Function" hint="Empty: every function">
          <input list="online-eval-functions" value={functionName} onChange={(e) => setFunctionName(e.target.value)} aria-label="Function" placeholder="any" />
          <datalist id="online-eval-functions">{KNOWN_FUNCTIONS.map((f) => <option key={f} value={f} />)}</datalist>
        </Field>
        <Field label="Prompt version">
          <select value={promptVersionId} onChange={(e) => setPromptVersionId(e.target.value)} aria-label="Prompt version">
            <option value="">any</option>
            {versions.data?.map((v) => <option key={v.id} value={v.id}>{v.prompts?.slug ?? "prompt"} v{v.version} ({v.status})</option>)}
          </select>
        </Field>
        <Field label="Model" hint="Empty: every model">
          <input value={model} onChange={(e) => setModel(e.target.value)} aria-label="Model" placeholder="any" />
        </Field>
        <div className="row">
          <span className="grow" />
          <Button type="button" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={add.isPending} disabled={!!rateError || !!capError || !chosen}>Attach</Button>
        </div>
      </form>
    </Dialog>
  );
}
