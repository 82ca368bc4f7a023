import { useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { exportDataset, type DatasetFormat } from "@review/shared/datasets/import";
import { diffVersions } from "@review/shared/datasets/diff";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { describeFilter } from "./filter.ts";
import type { CollabRoom } from "../collab/index.ts";
import { VirtualTbody } from "../../components/VirtualTbody.tsx";
import { DraftItems, storeEverythingSeen } from "./DraftItems.tsx";
import { SplitsPanel } from "./Splits.tsx";
import { useDatasetItems, useDatasets, useDatasetVersions, useNewDraft, usePublish, useTrainingOverlap, type DatasetItem, type DatasetVersion } from "./queries.ts";

export default function DatasetDetailPage() {
  const { datasetId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const org = useCurrentOrg();
  const navigate = useNavigate();
  const datasets = useDatasets(org.org_id);
  const versions = useDatasetVersions(org.org_id);
  const dataset = datasets.data?.find((d) => d.id === datasetId);
  const mine = (versions.data ?? []).filter((v) => v.dataset_id === datasetId);
  const selected = mine.find((v) => v.id === params.get("version")) ?? mine[0] ?? null;
  const items = useDatasetItems(selected?.id ?? null);
  const previous = selected ? mine.find((v) => v.version < selected.version) ?? null : null;
  const previousItems = useDatasetItems(previous?.id ?? null);
  const overlap = useTrainingOverlap(selected?.id ?? null);
  // The open draft's co-editing room (DraftItems): publishing first stores what this browser holds.
  const room = useRef<CollabRoom | null>(null);
  const publish = usePublish(org.org_id, async () => {
    if (room.current) await storeEverythingSeen(room.current);
  });
  const newDraft = useNewDraft(org.org_id);
  const editor = can(org.role, "dataset:edit");
  if (datasets.isLoading || versions.isLoading) return <div className="page muted">Loading…</div>;
  if (!dataset) return <div className="page"><EmptyState title="This dataset does not exist here." /></div>;
  const select = (v: DatasetVersion) => setParams({ version: v.id });
  const draft = selected?.status === "draft";

  function download(format: DatasetFormat) {
    const blob = new Blob([exportDataset(items.data ?? [], format)], { type: format === "csv" ? "text/csv" : "application/x-ndjson" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${dataset!.name}-v${selected!.version}.${format}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  return (
    <div className="page" data-testid="dataset-detail">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={`/o/${org.slug}/datasets`}>Datasets</Link> / {dataset.name}</div>
          <h1>{dataset.name}</h1>
        </div>
        <span className="grow" />
        {selected ? <Badge tone={draft ? "neutral" : "good"}>v{selected.version} · {selected.status}</Badge> : null}
        {selected && items.data?.length ? (
          <>
            <Button size="sm" onClick={() => download("jsonl")}>Export JSONL</Button>
            <Button size="sm" onClick={() => download("csv")}>Export CSV</Button>
          </>
        ) : null}
        {editor && draft ? (
          <Button variant="primary" busy={publish.isPending} disabled={!items.data?.length}
            onClick={() => publish.mutate(selected!.id, { onSuccess: (v) => toast.success("Published", `v${v.version} is frozen: ${v.item_count} items`), onError: (e) => toast.error("Could not publish", messageOf(e)) })}>
            Publish v{selected!.version}
          </Button>
        ) : null}
        {editor && !draft && !mine.some((v) => v.status === "draft") ? (
          <Button busy={newDraft.isPending} onClick={() => newDraft.mutate(dataset.id, { onSuccess: (v) => select(v), onError: (e) => toast.error("Could not start a draft", messageOf(e)) })}>New draft</Button>
        ) : null}
        {selected?.status === "published" && can(org.role, "experiment:run") ? (
          <Button variant="primary" onClick={() => navigate(`/o/${org.slug}/experiments?new=${selected.id}`)}>Run an experiment</Button>
        ) : null}
      </header>

      <div className="tag-cloud" role="group" aria-label="Versions" style={{ marginBottom: 12 }}>
        {mine.map((v) => (
          <button key={v.id} className="chip" aria-pressed={v.id === selected?.id} onClick={() => select(v)}>v{v.version} · {v.status} · {v.item_count}</button>
        ))}
      </div>
      {selected ? (
        <p className="muted small" data-testid="version-source">
          {sourceLine(selected)}{selected.published_at ? ` Published ${dateTime(selected.published_at)}; it can no longer change.` : " A draft: items can be edited until it is published."}
        </p>
      ) : null}

      {overlap.data?.length ? (
        <div className="form-error" role="alert" data-testid="training-overlap">
          This version overlaps training data: {overlap.data.map((o) => `${o.overlapping} of ${o.items} items were in the training set of ${o.model_name} (${o.served_model})`).join("; ")}. Scores of those models on it are optimistic; hold these items out.
        </div>
      ) : null}
      {selected ? <SplitsPanel version={selected} editable={editor && draft} /> : null}
      {previous && items.data && previousItems.data ? <VersionDiffLine before={previous.version} diff={diffVersions(previousItems.data, items.data)} /> : null}
      {items.error ? <ErrorState error={items.error} retry={() => void items.refetch()} /> : selected && draft ? (
        // Keyed by version: another draft is another document.
        <DraftItems key={selected.id} version={selected} items={items.data ?? []} editable={editor && !publish.isPending} roomRef={room} />
      ) : (
        <ItemsTable items={items.data ?? []} />
      )}
    </div>
  );
}

function VersionDiffLine({ before, diff }: { before: number; diff: ReturnType<typeof diffVersions<DatasetItem>> }) {
  const [open, setOpen] = useState(false);
  const total = diff.added.length + diff.removed.length + diff.changed.length;
  return (
    <div className="small" data-testid="version-diff" style={{ marginBottom: 12 }}>
      <span className="muted">Since v{before}: </span>
      <strong>+{diff.added.length}</strong> added, <strong>−{diff.removed.length}</strong> removed, <strong>~{diff.changed.length}</strong> changed, {diff.unchanged} unchanged.{" "}
      {total ? <button className="btn btn-sm btn-ghost" onClick={() => setOpen((o) => !o)}>{open ? "Hide changes" : "Show changes"}</button> : null}
      {open ? (
        <ul className="stack">
          {diff.added.map((i) => <li key={`a-${i.id}`}><Badge tone="good">added</Badge> {i.query}</li>)}
          {diff.removed.map((i) => <li key={`r-${i.id}`}><Badge tone="bad">removed</Badge> {i.query}</li>)}
          {diff.changed.map((c) => <li key={`c-${c.after.id}`}><Badge tone="warn">{c.fields.join(", ")}</Badge> {c.after.query}{c.fields.includes("expected") ? <span className="muted"> — expected: “{c.before.expected ?? "—"}” → “{c.after.expected ?? "—"}”</span> : null}</li>)}
        </ul>
      ) : null}
    </div>
  );
}

function sourceLine(v: DatasetVersion): string {
  const s = v.source as { kind?: string; filter?: Record<string, unknown>; tags?: string[]; fileName?: string };
  switch (s.kind) {
    case "inbox_filter": return `Built from an inbox filter: ${describeFilter(s.filter ?? {})}`;
    case "training_examples": return `Built from approved training examples${s.tags?.length ? ` tagged ${s.tags.join(", ")}` : ""}.`;
    case "approved_cases": return "Built from answers approved in improvement cases.";
    case "ai_requests": return "Built from logged LLM calls.";
    case "import": return `Imported${s.fileName ? ` from ${s.fileName}` : ""}.`;
    case "copy": return "A copy of the previous version.";
    default: return "";
  }
}

/** A published version's items, as frozen (only those in view are in the page once there are many). */
function ItemsTable({ items }: { items: DatasetItem[] }) {
  return (
    <>
      <table className="table" aria-label="Items" data-testid="dataset-items">
        <thead><tr><th style={{ width: 40 }}>#</th><th style={{ width: "40%" }}>Input</th><th>Expected answer</th></tr></thead>
        <VirtualTbody
          rows={items}
          rowKey={(i) => i.id}
          estimateSize={64}
          colSpan={3}
          renderRow={(i, _index, measure) => (
            <tr key={i.id} data-testid="dataset-item" {...measure}>
              <td className="num muted">{i.position + 1}</td>
              <td><div className="prose">{i.query}</div>{i.context ? <div className="muted small">Context: {i.context}</div> : null}</td>
              <td data-testid="item-expected"><div className="prose">{i.expected ?? <span className="muted">—</span>}</div></td>
            </tr>
          )}
        />
      </table>
      {items.length === 0 ? <EmptyState title="No items in this version." /> : null}
    </>
  );
}
