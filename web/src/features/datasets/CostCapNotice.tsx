import { useState, type FormEvent } from "react";
import { EXPERIMENT_COST_CAP_MAX_USD, EXPERIMENT_STOPPED_AT_COST_CAP, type ExperimentSpend } from "@review/shared/jobs/config";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { usd } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useRaiseExperimentCostCap } from "./queries.ts";

/** Whether a completed experiment's job stopped at its cost cap rather than scoring every output. */
export function stoppedAtCostCap(result: unknown): boolean {
  return ((result ?? {}) as Partial<ExperimentSpend>).stopped === EXPERIMENT_STOPPED_AT_COST_CAP;
}

/**
 * An experiment that stopped at its cost cap is "completed" with part of its outputs, and its last event
 * is the queue's "Finished": this says so where the figures are, and lets whoever may run experiments
 * pay for the rest.
 */
export function CostCapNotice({ experimentId, result, capUsd, scored, total }: { experimentId: string; result: unknown; capUsd: number | null; scored: number; total: number }) {
  const org = useCurrentOrg();
  const raise = useRaiseExperimentCostCap(experimentId);
  const [next, setNext] = useState("");
  const r = (result ?? {}) as Partial<ExperimentSpend>;
  if (!stoppedAtCostCap(result)) return null;
  const nextValue = Number(next);
  const valid = next !== "" && nextValue > (capUsd ?? 0) && nextValue <= EXPERIMENT_COST_CAP_MAX_USD;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    raise.mutate(nextValue, {
      onSuccess: () => toast.info("Continuing", "Outputs already scored are kept"),
      onError: (err) => toast.error("Could not continue", messageOf(err)),
    });
  };
  return (
    <section className="card stack" data-testid="cost-cap-notice" role="status">
      <strong>Stopped at the cost cap{capUsd === null ? "" : ` of ${usd(capUsd, 2)}`}</strong>
      <span>
        {scored} of {total} outputs scored, {usd(r.costUsd ?? null)} spent{r.judgeCostUsd ? ` (judges ${usd(r.judgeCostUsd)})` : ""}. The figures below
        cover the scored outputs only.
      </span>
      {can(org.role, "experiment:run") ? (
        <form className="row" onSubmit={submit}>
          <Field label="New cost cap (USD)" hint="Outputs already scored are kept and count against it.">
            <input className="input" type="number" min={0} step="0.01" value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          <Button variant="primary" type="submit" busy={raise.isPending} disabled={!valid}>Continue with this cap</Button>
        </form>
      ) : null}
    </section>
  );
}
