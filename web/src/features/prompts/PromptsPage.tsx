import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, ErrorState, Field } from "../../components/ui/Field.tsx";
import { AppError, messageOf } from "../../lib/errors.ts";
import { dateTime } from "../../lib/format.ts";
import { useCurrentOrg } from "../orgs/index.ts";
import { useCreatePrompt, usePrompts } from "./queries.ts";
import { mayEditPrompts } from "./types.ts";

/** The organization's named prompts; curators and admins can add one. */
export default function PromptsPage() {
  const org = useCurrentOrg();
  const { data = [], isLoading, error, refetch } = usePrompts(org.org_id);
  return (
    <div className="page" data-testid="prompts-page">
      <header className="page-head"><h1>Prompts</h1></header>
      {mayEditPrompts(org.role) ? <CreatePromptForm orgId={org.org_id} /> : null}
      {isLoading ? <p className="muted">Loading…</p> : error ? <ErrorState error={error} retry={() => void refetch()} /> : !data.length ? (
        <EmptyState title="No prompts yet." />
      ) : (
        <table className="table">
          <thead><tr><th>Prompt</th><th>Description</th><th>Created</th></tr></thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.id}>
                <td><Link to={`/o/${org.slug}/prompts/${p.id}`}>{p.slug}</Link></td>
                <td className="muted">{p.description}</td>
                <td>{dateTime(p.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CreatePromptForm({ orgId }: { orgId: string }) {
  const [slug, setSlug] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreatePrompt(orgId);
  const fieldError = create.error instanceof AppError ? create.error.fields?.slug?.[0] : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ slug: slug.trim(), description }, { onSuccess: () => { setSlug(""); setDescription(""); } });
  };
  return (
    <form className="card row" onSubmit={submit} aria-label="New prompt">
      <Field label="Name" error={fieldError ?? null}><input value={slug} onChange={(e) => setSlug(e.target.value)} placeholder="suggest-answer" required /></Field>
      <Field label="Description"><input value={description} onChange={(e) => setDescription(e.target.value)} /></Field>
      <Button type="submit" variant="primary" busy={create.isPending}>Create prompt</Button>
      {create.error && !fieldError ? <p className="form-error" role="alert">{messageOf(create.error)}</p> : null}
    </form>
  );
}
