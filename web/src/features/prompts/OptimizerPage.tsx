import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation } from "@tanstack/react-query";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { optimizer, useSaveVersion, useVersions } from "./queries.ts";
import { mayEditPrompts, type OptSession } from "./types.ts";

type State = { session: OptSession; questions: string[]; roundsLeft: number; finalPrompt: string | null };

/** start → clarifying questions (max 3 rounds) → final prompt → save as candidate → rate. Curators and admins. */
export default function OptimizerPage() {
  const { promptId = "" } = useParams();
  const org = useCurrentOrg();
  if (!mayEditPrompts(org.role)) return <div className="page"><EmptyState title="Your role does not include the optimizer." /></div>;
  return <Optimizer promptId={promptId} orgId={org.org_id} base={`/o/${org.slug}/prompts/${promptId}`} />;
}

function Optimizer({ promptId, orgId, base }: { promptId: string; orgId: string; base: string }) {
  const { data: versions = [] } = useVersions(promptId);
  const current = versions.find((v) => v.status === "production") ?? versions[0];
  const [initial, setInitial] = useState("");
  const [state, setState] = useState<State | null>(null);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [rating, setRating] = useState(0);
  const navigate = useNavigate();
  const save = useSaveVersion(promptId);

  const start = useMutation({
    mutationFn: () => optimizer.start(orgId, promptId, initial || current?.template || ""),
    onSuccess: (r) => setState({ session: r.session, questions: r.questions, roundsLeft: r.maxRounds, finalPrompt: null }),
  });
  const answer = useMutation({
    mutationFn: (s: State) => optimizer.answer(s.session.id, s.questions.map((q) => ({ question: q, answer: answers[q] ?? "" }))),
    onSuccess: (r) => { setAnswers({}); setState((s) => s && { ...s, session: r.session, questions: r.questions, roundsLeft: r.roundsLeft }); },
  });
  const finalize = useMutation({
    mutationFn: (s: State) => optimizer.finalize(s.session.id),
    onSuccess: (r) => setState((s) => s && { ...s, session: r.session, questions: [], finalPrompt: r.finalPrompt }),
  });
  const rate = useMutation({ mutationFn: (n: number) => optimizer.rate(state!.session.id, n), onSuccess: () => toast.success("Thanks for rating") });
  const error = start.error ?? answer.error ?? finalize.error ?? save.error ?? rate.error;

  const saveCandidate = (s: State) =>
    save.mutate(
      { template: s.finalPrompt!, systemTemplate: current?.system_template ?? "", variables: current?.variables ?? [], model: current?.model ?? "default", parentVersionId: current?.id, status: "candidate", sessionId: s.session.id },
      { onSuccess: (r) => { toast.success("Saved", `Version ${r.version.version} is a candidate.`); navigate(`${base}/versions/${r.version.id}`); } },
    );

  return (
    <div className="page stack" data-testid="optimizer">
      <div className="crumbs"><Link to={base}>Prompt</Link> / Optimizer</div>
      <h1>Optimize this prompt</h1>
      {!state ? (
        <section className="card stack">
          <Field label="Prompt to optimize" hint="Empty: the current production version.">
            <textarea rows={6} value={initial} onChange={(e) => setInitial(e.target.value)} placeholder={current?.template} />
          </Field>
          <div className="row-end"><Button variant="primary" busy={start.isPending} onClick={() => start.mutate()}>Start</Button></div>
        </section>
      ) : null}
      {state && state.questions.length && !state.finalPrompt ? (
        <section className="card stack">
          <p className="muted" data-testid="rounds-left">{state.roundsLeft} round{state.roundsLeft === 1 ? "" : "s"} left</p>
          {state.questions.map((q) => (
            <Field key={q} label={q}><textarea rows={2} value={answers[q] ?? ""} onChange={(e) => setAnswers({ ...answers, [q]: e.target.value })} /></Field>
          ))}
          <div className="row-end">
            <Button busy={finalize.isPending} onClick={() => finalize.mutate(state)}>Skip to final prompt</Button>
            <Button variant="primary" busy={answer.isPending} onClick={() => answer.mutate(state)}>Submit answers</Button>
          </div>
        </section>
      ) : null}
      {state && !state.questions.length && !state.finalPrompt ? (
        <section className="card row-end"><Button variant="primary" busy={finalize.isPending} onClick={() => finalize.mutate(state)}>Generate final prompt</Button></section>
      ) : null}
      {state?.finalPrompt ? (
        <section className="card stack">
          <h3 className="section-title">Final prompt</h3>
          <pre className="prose" data-testid="final-prompt">{state.finalPrompt}</pre>
          <div className="row-end">
            <Button busy={finalize.isPending} onClick={() => finalize.mutate(state)}>Regenerate</Button>
            <Button variant="primary" busy={save.isPending} onClick={() => saveCandidate(state)}>Save as candidate</Button>
          </div>
          <div className="row" role="group" aria-label="Rate the result">
            {[1, 2, 3, 4, 5].map((n) => (
              <Button key={n} size="sm" variant={rating === n ? "primary" : "secondary"} aria-pressed={rating === n} onClick={() => { setRating(n); rate.mutate(n); }}>{n}★</Button>
            ))}
          </div>
        </section>
      ) : null}
      {error ? <p className="form-error" role="alert">{messageOf(error)}</p> : null}
    </div>
  );
}
