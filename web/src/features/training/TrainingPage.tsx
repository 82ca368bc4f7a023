import { useState } from "react";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { dateTime } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { exportJsonl, useExamples, useTagCounts, useTrainingLive } from "./queries.ts";

export default function TrainingPage() {
  const org = useCurrentOrg();
  const [tag, setTag] = useState<string | null>(null);
  const examples = useExamples(org.org_id, tag);
  const counts = useTagCounts(org.org_id);
  const [exporting, setExporting] = useState(false);
  useTrainingLive(org.org_id);
  const rows = examples.data?.pages.flat() ?? [];

  async function download() {
    setExporting(true);
    try {
      const blob = await exportJsonl(org.org_id, tag);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `${org.slug}-training${tag ? `-${tag}` : ""}.jsonl`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      toast.error("Export failed", messageOf(err));
    } finally {
      setExporting(false);
    }
  }

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Training data</h1>
          <div className="muted">{counts.data ? `${counts.data.total.toLocaleString()} approved examples` : "Counting…"}</div>
        </div>
        <span className="grow" />
        <Button variant="primary" busy={exporting} onClick={() => void download()}>Export JSONL{tag ? ` (#${tag})` : ""}</Button>
      </header>
      <div className="tag-cloud" role="group" aria-label="Tags" style={{ marginBottom: 16 }}>
        <button className="chip" aria-pressed={tag === null} onClick={() => setTag(null)}>All {counts.data ? `(${counts.data.total})` : ""}</button>
        {counts.data?.tags.map((t) => (
          <button key={t.tag} className="chip" aria-pressed={tag === t.tag} onClick={() => setTag(t.tag)} data-testid={`tag-${t.tag}`}>#{t.tag} ({t.count})</button>
        ))}
      </div>
      {examples.error ? <ErrorState error={examples.error} retry={() => void examples.refetch()} /> : rows.length === 0 && !examples.isLoading ? (
        <EmptyState title="No training examples yet.">Approving an improvement case adds its answer here.</EmptyState>
      ) : (
        <table className="table">
          <thead><tr><th style={{ width: "32%" }}>Question</th><th>Approved answer</th><th>Tags</th><th>Added</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td><div className="prose">{r.query}</div></td>
                <td><div className="prose">{r.answer}</div></td>
                <td>{r.tags.map((t) => <span key={t} className="label">#{t}</span>)}</td>
                <td className="muted small">{dateTime(r.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {examples.hasNextPage ? <div className="row-end" style={{ marginTop: 12 }}><Button busy={examples.isFetchingNextPage} onClick={() => void examples.fetchNextPage()}>Load more</Button></div> : null}
    </div>
  );
}
