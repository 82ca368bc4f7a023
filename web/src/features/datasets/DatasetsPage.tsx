import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { parseDatasetFile, type DatasetItemInput, type RowError } from "@review/shared/datasets/import";
import { Button } from "../../components/ui/Button.tsx";
import { Badge } from "../../components/ui/Badge.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { EmptyState, ErrorState, Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { filterFromParams, describeFilter } from "./filter.ts";
import { useBuildFromExamples, useBuildFromFilter, useDatasets, useDatasetVersions, useImportItems, type DatasetVersion } from "./queries.ts";

export default function DatasetsPage() {
  const org = useCurrentOrg();
  const [params, setParams] = useSearchParams();
  const datasets = useDatasets(org.org_id);
  const versions = useDatasetVersions(org.org_id);
  const editor = can(org.role, "dataset:edit");
  // Arriving from the inbox's "Build dataset from this filter": the dialog opens with that filter.
  const fromInbox = params.get("inbox");
  const [dialog, setDialog] = useState<null | "filter" | "examples" | "import">(fromInbox !== null && editor ? "filter" : null);
  const navigate = useNavigate();
  const close = () => {
    setDialog(null);
    if (fromInbox !== null) setParams({}, { replace: true });
  };
  const opened = (v: DatasetVersion) => navigate(`/o/${org.slug}/datasets/${v.dataset_id}?version=${v.id}`);
  const byDataset = useMemo(() => {
    const m = new Map<string, DatasetVersion[]>();
    for (const v of versions.data ?? []) m.set(v.dataset_id, [...(m.get(v.dataset_id) ?? []), v]);
    return m;
  }, [versions.data]);

  return (
    <div className="page" data-testid="datasets-page">
      <header className="page-head">
        <div>
          <h1>Datasets</h1>
          <div className="muted">Versioned test sets: build one from the inbox, approved answers or a file, publish it, run experiments on it.</div>
        </div>
        <span className="grow" />
        {editor ? (
          <>
            <Button onClick={() => setDialog("examples")}>From approved answers</Button>
            <Button onClick={() => setDialog("import")}>Import CSV / JSONL</Button>
            <Button variant="primary" onClick={() => setDialog("filter")}>From an inbox filter</Button>
          </>
        ) : null}
      </header>
      {datasets.error ? <ErrorState error={datasets.error} retry={() => void datasets.refetch()} /> : datasets.data?.length === 0 ? (
        <EmptyState title="No datasets yet.">{editor ? "Build one from an inbox filter, approved answers, or a file." : "Curators and admins build datasets."}</EmptyState>
      ) : (
        <table className="table" aria-label="Datasets">
          <thead><tr><th>Name</th><th>Latest version</th><th>Items</th><th>Created</th></tr></thead>
          <tbody>
            {datasets.data?.map((d) => {
              const latest = byDataset.get(d.id)?.[0];
              return (
                <tr key={d.id} data-testid="dataset-row">
                  <td><Link to={`/o/${org.slug}/datasets/${d.id}`}>{d.name}</Link></td>
                  <td>{latest ? <>v{latest.version} <Badge tone={latest.status === "published" ? "good" : "neutral"}>{latest.status}</Badge></> : "—"}</td>
                  <td className="num">{latest?.item_count ?? 0}</td>
                  <td className="muted small">{dateTime(d.created_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <BuildFromFilterDialog open={dialog === "filter"} onClose={close} onBuilt={opened} initial={fromInbox ?? ""} />
      <BuildFromExamplesDialog open={dialog === "examples"} onClose={close} onBuilt={opened} />
      <ImportDialog open={dialog === "import"} onClose={close} onBuilt={opened} />
    </div>
  );
}

type DialogProps = { open: boolean; onClose(): void; onBuilt(v: DatasetVersion): void };

function BuildFromFilterDialog({ open, onClose, onBuilt, initial }: DialogProps & { initial: string }) {
  const org = useCurrentOrg();
  const build = useBuildFromFilter(org.org_id);
  const [name, setName] = useState("");
  const [query, setQuery] = useState(initial);
  const filter = filterFromParams(new URLSearchParams(query.replace(/^\?/, "")));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    build.mutate({ name: name.trim(), filter }, {
      onSuccess: (v) => {
        toast.success("Dataset built", `${v.item_count} items in draft v${v.version}`);
        onClose();
        onBuilt(v);
      },
    });
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Build a dataset from an inbox filter" description="Every feedback row the filter shows becomes an item; the approved answer of its case, if any, is the expected answer." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="Dataset name"><input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} aria-label="Dataset name" /></Field>
        <Field label="Inbox filter" hint="The inbox's filter as it appears in its address (rating=1,2&labels=billing), or open this from the inbox.">
          <input className="input" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Inbox filter" />
        </Field>
        <p className="muted small" data-testid="filter-summary">{describeFilter(filter)}</p>
        {build.error ? <div className="form-error" role="alert">{messageOf(build.error)}</div> : null}
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" busy={build.isPending} disabled={!name.trim()}>Build dataset</Button></div>
      </form>
    </Dialog>
  );
}

function BuildFromExamplesDialog({ open, onClose, onBuilt }: DialogProps) {
  const org = useCurrentOrg();
  const build = useBuildFromExamples(org.org_id);
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [onlyCases, setOnlyCases] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const list = tags.split(",").map((t) => t.trim()).filter(Boolean);
    build.mutate({ name: name.trim(), tags: list, onlyCases }, {
      onSuccess: (v) => {
        toast.success("Dataset built", `${v.item_count} items in draft v${v.version}`);
        onClose();
        onBuilt(v);
      },
    });
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Build a dataset from approved answers" description="Training examples become items, their approved answer the expected one.">
      <form className="stack" onSubmit={submit}>
        <Field label="Dataset name"><input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} /></Field>
        <Field label="Tags (comma-separated)" hint="Empty: all examples."><input className="input" value={tags} onChange={(e) => setTags(e.target.value)} /></Field>
        <label className="row"><input type="checkbox" checked={onlyCases} onChange={(e) => setOnlyCases(e.target.checked)} /> Only answers approved from an improvement case</label>
        {build.error ? <div className="form-error" role="alert">{messageOf(build.error)}</div> : null}
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" busy={build.isPending} disabled={!name.trim()}>Build dataset</Button></div>
      </form>
    </Dialog>
  );
}

function ImportDialog({ open, onClose, onBuilt }: DialogProps) {
  const org = useCurrentOrg();
  const imp = useImportItems(org.org_id);
  const [name, setName] = useState("");
  const [file, setFile] = useState<{ name: string; items: DatasetItemInput[] } | null>(null);
  const [errors, setErrors] = useState<RowError[]>([]);
  const onFile = async (f: File | undefined) => {
    setFile(null);
    setErrors([]);
    if (!f) return;
    const parsed = parseDatasetFile(f.name, await f.text());
    if (parsed.ok) setFile({ name: f.name, items: parsed.items });
    else setErrors(parsed.errors);
    if (!name) setName(f.name.replace(/\.(csv|jsonl|ndjson|json)$/i, ""));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    imp.mutate({ name: name.trim(), items: file.items, fileName: file.name }, {
      onSuccess: (v) => {
        toast.success("Imported", `${file.items.length} items in draft v${v.version}`);
        onClose();
        onBuilt(v);
      },
    });
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()} title="Import a dataset" description="CSV with a header (query, context, variables, expected, metadata) or JSONL, one object per line. A file with any bad row stores nothing." wide>
      <form className="stack" onSubmit={submit}>
        <Field label="File"><input type="file" accept=".csv,.jsonl,.ndjson,.json,text/csv" aria-label="Dataset file" onChange={(e) => void onFile(e.target.files?.[0])} /></Field>
        <Field label="Dataset name"><input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} aria-label="Import name" /></Field>
        {file ? <p className="muted" data-testid="import-ready">{file.items.length} items ready to import.</p> : null}
        {errors.length ? (
          <div className="form-error" role="alert" data-testid="import-errors">
            <strong>{errors.length} problem{errors.length === 1 ? "" : "s"}; nothing will be stored until the file is fixed.</strong>
            <table className="table small">
              <thead><tr><th>Line</th><th>Field</th><th>Problem</th></tr></thead>
              <tbody>{errors.slice(0, 200).map((e, i) => <tr key={i}><td className="num">{e.line || "—"}</td><td><code>{e.field}</code></td><td>{e.message}</td></tr>)}</tbody>
            </table>
          </div>
        ) : null}
        {imp.error ? <div className="form-error" role="alert">{messageOf(imp.error)}</div> : null}
        <div className="row-end"><Button type="button" onClick={onClose}>Cancel</Button><Button variant="primary" type="submit" busy={imp.isPending} disabled={!file || !name.trim()}>Import</Button></div>
      </form>
    </Dialog>
  );
}
