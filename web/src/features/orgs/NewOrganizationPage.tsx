import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { messageOf } from "../../lib/errors.ts";
import { InvitationsBanner } from "./InvitationsBanner.tsx";
import { slugify, useCreateOrganization, useMyOrganizations } from "./queries.ts";

export function NewOrganizationPage() {
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const create = useCreateOrganization();
  const navigate = useNavigate();
  const { data: mine } = useMyOrganizations();
  const effectiveSlug = slug || slugify(name);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const s = await create.mutateAsync({ name: name.trim(), slug: effectiveSlug });
    navigate(`/o/${s}/inbox`);
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <InvitationsBanner onAccepted={() => navigate("/")} />
        <h1>New organization</h1>
        <p className="muted">You will be its first admin. Invite your team from Admin afterwards.</p>
        <form className="stack" onSubmit={(e) => void submit(e).catch(() => undefined)}>
          <Field label="Name"><input required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} autoFocus /></Field>
          <Field label="URL name" hint="Lowercase letters, digits and dashes"><input value={effectiveSlug} pattern="[a-z0-9][a-z0-9-]{1,62}" onChange={(e) => setSlug(e.target.value)} /></Field>
          {create.error ? <p className="form-error" role="alert">{/duplicate|unique/i.test(messageOf(create.error)) ? "That URL name is taken; pick another." : messageOf(create.error)}</p> : null}
          <Button variant="primary" type="submit" busy={create.isPending}>Create organization</Button>
        </form>
        {mine?.length ? <p className="muted"><Link to="/">Back to your workspace</Link></p> : null}
      </div>
    </main>
  );
}
