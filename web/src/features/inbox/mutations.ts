import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { AppError, messageOf, unwrap } from "../../lib/errors.ts";
import { toast } from "../../components/ui/toast.tsx";
import { holdFetches } from "../../lib/hold-fetches.ts";
import { findRow, type InboxData } from "./cache.ts";
import { inboxKeys, writeRowToCaches } from "./queries.ts";
import { canMoveFeedback, type FeedbackDetail, type FeedbackRow } from "./types.ts";

type Snapshot = Array<[QueryKey, unknown]>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Triage actions with optimistic updates: the inbox changes at once, the request follows, and on a
 * refusal every cached view is put back and the person is told what did not happen and why.
 */
export function useTriage(orgId: string, me: string, onClaimed?: (feedbackId: string, claimedBy: string | null) => void) {
  const qc = useQueryClient();

  const rowsFor = (ids: string[]): FeedbackRow[] => {
    const lists = qc.getQueriesData<InboxData>({ queryKey: [...inboxKeys.all(orgId), "list"] });
    return ids.flatMap((id) => {
      for (const [, data] of lists) {
        const r = findRow(data, id);
        if (r) return [r];
      }
      const d = qc.getQueryData<FeedbackDetail | null>(inboxKeys.detail(id));
      return d ? [d] : [];
    });
  };

  async function optimistic(rows: FeedbackRow[], patch: (r: FeedbackRow) => FeedbackRow, send: () => Promise<void>, failure: string): Promise<boolean> {
    const release = await holdFetches(qc, inboxKeys.all(orgId));
    const snapshot: Snapshot = [
      ...qc.getQueriesData({ queryKey: inboxKeys.all(orgId) }),
      ...rows.map((r) => [inboxKeys.detail(r.id), qc.getQueryData(inboxKeys.detail(r.id))] as [QueryKey, unknown]),
    ];
    for (const r of rows) writeRowToCaches(qc, orgId, patch(r));
    try {
      await send();
      return true;
    } catch (err) {
      for (const [key, data] of snapshot) qc.setQueryData(key, data);
      toast.error(failure, `${messageOf(err)} Your change was undone.`);
      return false;
    } finally {
      release();
    }
  }

  /** An update that RLS silently narrows (e.g. a role change meanwhile) must not look like success. */
  const expectAll = (changed: unknown[] | null, wanted: number) => {
    const n = changed?.length ?? 0;
    if (n < wanted) throw new AppError("not_changed", `Only ${n} of ${plural(wanted, "item")} could be changed; you may no longer have access.`);
  };

  return {
    async claim(ids: string[], claim: boolean) {
      const rows = rowsFor(ids).filter((r) => (claim ? r.claimed_by !== me : r.claimed_by === me));
      if (!rows.length) return;
      const value = claim ? me : null;
      const ok = await optimistic(
        rows,
        (r) => ({ ...r, claimed_by: value, claimed_at: claim ? new Date().toISOString() : null }),
        async () => {
          const changed = unwrap(await supabase.from("feedback").update({ claimed_by: value }).in("id", rows.map((r) => r.id)).select("id"));
          expectAll(changed, rows.length);
        },
        claim ? `Could not claim ${plural(rows.length, "item")}` : `Could not release ${plural(rows.length, "item")}`,
      );
      if (ok) for (const r of rows) onClaimed?.(r.id, value);
    },

    async dismiss(ids: string[]) {
      const all = rowsFor(ids);
      const withCase = all.filter((r) => r.status === "case_open");
      const rows = all.filter((r) => canMoveFeedback(r.status, "dismissed"));
      if (withCase.length) toast.info(`${plural(withCase.length, "item")} kept`, "Feedback with an open case is decided in its case room.");
      if (!rows.length) return;
      await optimistic(
        rows,
        (r) => ({ ...r, status: "dismissed" }),
        async () => {
          const changed = unwrap(await supabase.from("feedback").update({ status: "dismissed" }).in("id", rows.map((r) => r.id)).select("id"));
          expectAll(changed, rows.length);
        },
        `Could not dismiss ${plural(rows.length, "item")}`,
      );
    },

    async markTriaged(ids: string[]) {
      const rows = rowsFor(ids).filter((r) => canMoveFeedback(r.status, "triaged"));
      if (!rows.length) return;
      await optimistic(
        rows,
        (r) => ({ ...r, status: "triaged" }),
        async () => {
          const changed = unwrap(await supabase.from("feedback").update({ status: "triaged" }).in("id", rows.map((r) => r.id)).select("id"));
          expectAll(changed, rows.length);
        },
        `Could not mark ${plural(rows.length, "item")} as triaged`,
      );
    },

    async setLabel(ids: string[], label: string, on: boolean) {
      const clean = label.trim().toLowerCase();
      if (!clean) return;
      const rows = rowsFor(ids).filter((r) => r.labels.includes(clean) !== on);
      if (!rows.length) return;
      const next = (r: FeedbackRow) => (on ? [...r.labels, clean] : r.labels.filter((l) => l !== clean));
      await optimistic(
        rows,
        (r) => ({ ...r, labels: next(r) }),
        async () => {
          // Each row keeps its own other labels, so this is one request per row (sent together).
          const results = await Promise.all(rows.map((r) => supabase.from("feedback").update({ labels: next(r) }).eq("id", r.id).select("id")));
          const failed = results.find((res) => res.error);
          if (failed?.error) throw new AppError(failed.error.code ?? "label_failed", failed.error.message);
          expectAll(results.flatMap((res) => res.data ?? []), rows.length);
        },
        on ? `Could not label ${plural(rows.length, "item")} “${clean}”` : `Could not remove “${clean}”`,
      );
    },
  };
}
