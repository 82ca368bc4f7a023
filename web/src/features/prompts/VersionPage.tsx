import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { DOC_TEXT_FIELDS } from "@review/shared/yjs/persistence";
import { Badge } from "../../components/ui/Badge.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { AppError, messageOf } from "../../lib/errors.ts";
import { AnswerEditor, useCollabDoc, useYText } from "../collab/index.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useMe } from "../orgs/index.ts";
import { useSaveVersion, useVersions } from "./queries.ts";
import { mayEditPrompts, STATUS_TONE, type PromptVariable, type PromptVersion } from "./types.ts";
import { VariablesTable } from "./VariablesTable.tsx";

export default function VersionPage() {
  const { promptId = "", versionId = "" } = useParams();
  const org = useCurrentOrg();
  const { data, isLoading } = useVersions(promptId);
  if (isLoading) return <div className="page muted">Loading…</div>;
  const v = data?.find((x) => x.id === versionId);
  if (!v || v.org_id !== org.org_id) return <div className="page"><EmptyState title="This version does not exist here." /></div>;
  return <VersionEditor key={v.id} v={v} />;
}

/** A version's template, co-edited live while it is a draft or candidate; "Save as new version" snapshots it. */
function VersionEditor({ v }: { v: PromptVersion }) {
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const navigate = useNavigate();
  const editable = mayEditPrompts(org.role) && (v.status === "draft" || v.status === "candidate");
  const { session, status, participants } = useCollabDoc({ docId: `prompt:${v.id}`, field: DOC_TEXT_FIELDS.prompt, me, initialText: v.template, editable });
  const live = useYText(session?.ytext);
  const template = live || v.template;
  const [systemTemplate, setSystemTemplate] = useState(v.system_template);
  const [variables, setVariables] = useState<PromptVariable[]>(v.variables ?? []);
  const save = useSaveVersion(v.prompt_id);
  const fields = save.error instanceof AppError ? save.error.fields : undefined;
  const problems = fields?.variables ?? [];
  const base = `/o/${org.slug}/prompts/${v.prompt_id}`;

  const submit = async () => {
    if (session) await session.provider.whenPersisted();
    save.mutate(
      { template: session?.ytext.toString() || template, systemTemplate, variables: variables.filter((x) => x.name.trim()), model: v.model, parentVersionId: v.id, status: "candidate" },
      { onSuccess: (r) => { toast.success("Saved", `Version ${r.version.version} is a candidate.`); navigate(base); } },
    );
  };

  return (
    <div className="page" data-testid="prompt-version">
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={base}>Prompt</Link> / v{v.version}</div>
          <h1>Version {v.version} <Badge tone={STATUS_TONE[v.status]}>{v.status}</Badge></h1>
          <p className="muted small">Model {v.model}</p>
        </div>
        <span className="grow" />
        <span className={`conn conn-${status === "connected" ? "good" : "warn"}`} data-testid="doc-status"><span className="conn-dot" />{status === "connected" ? "Live" : "Connecting…"}</span>
        <span className="muted small" data-testid="room-participants">{participants.map((p) => p.name).join(", ")}</span>
      </header>
      <section className="card">
        <div className="card-head">
          <h3 className="section-title">Template</h3>
          <span className="grow" />
          {!editable ? <span className="badge badge-neutral">Read only</span> : null}
        </div>
        {session && editable ? <AnswerEditor ytext={session.ytext} awareness={session.awareness} editable label="Template" /> : <pre className="prose" data-testid="template-text">{template}</pre>}
      </section>
      <section className="card stack">
        <Field label="System template">
          <textarea rows={4} value={systemTemplate} readOnly={!editable} onChange={(e) => setSystemTemplate(e.target.value)} />
        </Field>
        <h3 className="section-title">Variables</h3>
        <VariablesTable value={variables} onChange={setVariables} readOnly={!editable} problems={problems} />
        {save.error && !problems.length ? <p className="form-error" role="alert">{messageOf(save.error)}</p> : null}
        {editable ? <div className="row-end"><Button variant="primary" busy={save.isPending} onClick={() => void submit()}>Save as new version</Button></div> : null}
        {!editable && mayEditPrompts(org.role) ? (
          <div className="row-end">
            <Button busy={save.isPending} onClick={() => save.mutate(
              { template: v.template, systemTemplate: v.system_template, variables: v.variables ?? [], model: v.model, parentVersionId: v.id, status: "draft" },
              { onSuccess: (r) => navigate(`${base}/versions/${r.version.id}`) },
            )}>New draft from this version</Button>
          </div>
        ) : null}
      </section>
    </div>
  );
}
