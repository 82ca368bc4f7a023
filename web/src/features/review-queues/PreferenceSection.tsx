import { useMemo } from "react";
import { useMutation } from "@tanstack/react-query";
import { preferenceGate, preferenceOf } from "@review/shared/review/preference";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { messageOf } from "../../lib/errors.ts";
import { callFunction } from "../../lib/functions.ts";
import { can } from "../../lib/permissions.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useQueue, useStoredFinals, type ScoreConfig } from "./queries.ts";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * For a pairwise queue (an A/B evaluation's outputs, or two variants of an experiment): B's human win
 * rate from the final preferences, with its Wilson CI, against the gate's threshold. Over an A/B
 * evaluation, those who may promote can put B in production on this evidence (promote-from-review
 * recomputes it on the server from the rows and records it); an experiment's variant reaches production
 * only through the A/B gate, so there the card is evidence to read.
 */
export function PreferenceSection({ queueId, rubrics }: { queueId: string; rubrics: ScoreConfig[] }) {
  const org = useCurrentOrg();
  const queue = useQueue(queueId);
  const rubric = rubrics.find((r) => r.kind === "preference");
  const finals = useStoredFinals(queueId, !!rubric);
  const promote = useMutation({ mutationFn: () => callFunction("promote-from-review", { queueId }) });
  const pref = useMemo(() => (rubric && finals.data ? preferenceOf(rubric, finals.data) : null), [rubric, finals.data]);
  const q = queue.data;
  const fromAb = q?.source_kind === "ab_eval";
  const variants = q?.source_kind === "experiment" && Array.isArray(q.source.variant_ids) ? (q.source.variant_ids as number[]) : [];
  if (!q || !(fromAb || variants.length === 2) || !rubric || !pref) return null;
  const gate = preferenceGate(pref);

  async function run() {
    try {
      const r = await promote.mutateAsync();
      if (r.promoted) toast.success("B is in production", r.reasons.join("; "));
      else toast.error("Not promoted", r.reasons.join("; "));
    } catch (err) {
      toast.error("Could not promote", messageOf(err));
    }
  }

  return (
    <section className="stack" aria-label="Human preference" data-testid="preference-section">
      <div className="row">
        <h3 className="section-title">{fromAb ? "Human preference (A/B evidence for the gate)" : "Human preference between the two variants"}</h3>
        <span className="grow" />
        {fromAb && can(org.role, "prompt:promote") ? <Button variant="primary" busy={promote.isPending} disabled={!gate.passed} onClick={() => void run()}>Promote B on this evidence</Button> : null}
      </div>
      <div className="stat-row">
        <div className="stat"><div className="stat-value" data-testid="preference-rate">{pref.n ? pct(pref.rate) : "—"}</div><div className="muted small">B preferred (ties half)</div></div>
        <div className="stat"><div className="stat-value" data-testid="preference-ci">[{pct(pref.lower)}, {pct(pref.upper)}]</div><div className="muted small">95% CI (Wilson)</div></div>
        <div className="stat"><div className="stat-value" data-testid="preference-counts">{pref.wins} / {pref.losses} / {pref.ties}</div><div className="muted small">B / A / tie over {pref.n} final preferences</div></div>
        <div className="stat"><Badge tone={gate.passed ? "good" : "neutral"}>{gate.passed ? "Clears the gate" : "Not enough evidence"}</Badge><div className="muted small">lower bound must clear {pct(gate.threshold)}</div></div>
      </div>
      <div className="muted small">{gate.reasons.join("; ")}</div>
    </section>
  );
}
