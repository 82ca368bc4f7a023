import { useState, type FormEvent } from "react";
import { Tabs } from "radix-ui";
import { Avatar } from "../../components/ui/Avatar.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Field } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { dateTime, timeAgo } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { ROLE_LABELS, ROLES, type Role } from "../../lib/permissions.ts";
import { env } from "../../lib/supabase.ts";
import { useUserId } from "../auth/index.ts";
import { useCurrentOrg, useMembers } from "../orgs/index.ts";
import { ingestCurl } from "@review/shared/api/ingest-feedback";
import { useCreateIngestKey, useIngestKeys, useInvitations, useManageMembers, useRevokeIngestKey, useWithdrawInvitation } from "./queries.ts";

export default function AdminPage() {
  const org = useCurrentOrg();
  return (
    <div className="page">
      <h1>Admin · {org.name}</h1>
      <Tabs.Root defaultValue="members" className="tabs">
        <Tabs.List className="tab-list" aria-label="Admin sections">
          <Tabs.Trigger className="tab" value="members">Members</Tabs.Trigger>
          <Tabs.Trigger className="tab" value="invitations">Invitations</Tabs.Trigger>
          <Tabs.Trigger className="tab" value="keys">Ingest keys</Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="members" className="card"><Members orgId={org.org_id} /></Tabs.Content>
        <Tabs.Content value="invitations" className="card"><Invitations orgId={org.org_id} /></Tabs.Content>
        <Tabs.Content value="keys" className="card"><IngestKeys orgId={org.org_id} /></Tabs.Content>
      </Tabs.Root>
    </div>
  );
}

function Members({ orgId }: { orgId: string }) {
  const me = useUserId();
  const { data: members = [] } = useMembers(orgId);
  const manage = useManageMembers(orgId);
  const run = (a: Parameters<typeof manage.mutate>[0], ok: string) =>
    manage.mutate(a, { onSuccess: () => toast.success(ok), onError: (e) => toast.error("That did not work", messageOf(e)) });
  return (
    <table className="table" aria-label="Members">
      <thead><tr><th>Member</th><th>Role</th><th>Joined</th><th /></tr></thead>
      <tbody>
        {members.map((m) => (
          <tr key={m.userId}>
            <td><span className="row"><Avatar name={m.name} color={m.color} size={24} /> {m.name}{m.userId === me ? " (you)" : ""}</span></td>
            <td>
              <select aria-label={`Role of ${m.name}`} value={m.role} disabled={manage.isPending} onChange={(e) => run({ action: "change_role", userId: m.userId, role: e.target.value as Role }, `${m.name} is now ${ROLE_LABELS[e.target.value as Role]}`)}>
                {ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
              </select>
            </td>
            <td className="muted small">{timeAgo(m.joinedAt)}</td>
            <td><Button size="sm" variant="danger" disabled={manage.isPending} onClick={() => confirm(`Remove ${m.name} from this organization?`) && run({ action: "remove", userId: m.userId }, `${m.name} was removed`)}>{m.userId === me ? "Leave" : "Remove"}</Button></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Invitations({ orgId }: { orgId: string }) {
  const invites = useInvitations(orgId);
  const manage = useManageMembers(orgId);
  const withdraw = useWithdrawInvitation(orgId);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("reviewer");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    manage.mutate({ action: "invite", email: email.trim(), role }, {
      onSuccess: () => { toast.success(`Invited ${email}`); setEmail(""); },
    });
  };
  return (
    <div className="stack">
      <form className="row" onSubmit={submit} aria-label="Invite a member">
        <Field label="Email"><input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="name@company.com" /></Field>
        <Field label="Role"><select value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}</select></Field>
        <Button type="submit" variant="primary" busy={manage.isPending} style={{ alignSelf: "flex-end" }}>Invite</Button>
      </form>
      {manage.error ? <p className="form-error" role="alert">{messageOf(manage.error)}</p> : null}
      <p className="muted small">The invitation waits for that address: someone new joins when they sign up with it and confirm it; someone with an account accepts it after signing in. This page never tells whether an address has an account.</p>
      <table className="table" aria-label="Pending invitations">
        <thead><tr><th>Email</th><th>Role</th><th>Invited</th><th /></tr></thead>
        <tbody>
          {invites.data?.map((i) => (
            <tr key={i.id}><td>{i.email}</td><td>{ROLE_LABELS[i.role]}</td><td className="muted small">{timeAgo(i.created_at)}</td>
              <td><Button size="sm" onClick={() => withdraw.mutate(i.id)}>Withdraw</Button></td></tr>
          ))}
          {invites.data?.length === 0 ? <tr><td colSpan={4} className="muted">No pending invitations.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}

function IngestKeys({ orgId }: { orgId: string }) {
  const keys = useIngestKeys(orgId);
  const create = useCreateIngestKey(orgId);
  const revoke = useRevokeIngestKey(orgId);
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="stack">
      <form className="row" onSubmit={(e) => { e.preventDefault(); create.mutate(name.trim(), { onSuccess: (s) => { setSecret(s); setName(""); } }); }}>
        <Field label="Key name"><input required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} placeholder="production app" /></Field>
        <Button type="submit" variant="primary" busy={create.isPending} style={{ alignSelf: "flex-end" }}>Create key</Button>
      </form>
      {create.error ? <p className="form-error" role="alert">{messageOf(create.error)}</p> : null}
      {secret ? (
        <div className="card stack" role="status">
          <strong>Copy this key now; it is not shown again.</strong>
          <div className="secret">{secret}</div>
          <IngestExample secret={secret} />
          <div className="row-end"><Button onClick={() => void navigator.clipboard?.writeText(secret)}>Copy</Button><Button onClick={() => setSecret(null)}>Done</Button></div>
        </div>
      ) : null}
      {!secret ? <IngestExample /> : null}
      <table className="table" aria-label="Ingest keys">
        <thead><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id}><td>{k.name}</td><td><code>{k.prefix}…</code></td><td className="muted small">{dateTime(k.created_at)}</td><td className="muted small">{k.last_used_at ? timeAgo(k.last_used_at) : "never"}</td>
              <td><Button size="sm" variant="danger" onClick={() => confirm(`Revoke “${k.name}”? Apps using it stop sending feedback.`) && revoke.mutate(k.id)}>Revoke</Button></td></tr>
          ))}
          {keys.data?.length === 0 ? <tr><td colSpan={5} className="muted">No keys yet.</td></tr> : null}
        </tbody>
      </table>
    </div>
  );
}

/** The exact request the customer's app sends (the function's own schema's example), ready to paste. */
function IngestExample({ secret }: { secret?: string }) {
  const command = ingestCurl(`${env.supabaseUrl}/functions/v1`, secret ?? "rwk_…");
  return (
    <details className="stack" open={Boolean(secret)}>
      <summary>How your app sends feedback</summary>
      <p className="muted small">
        <code>POST /functions/v1/ingest-feedback</code> with the key in <code>x-ingest-key</code>: up to 500 items a request; each needs
        <code> externalId</code> (your id for the rated answer, so a retried batch adds nothing twice), <code>rating</code> (1–5),
        <code> query</code> and <code>response</code>; <code>comment</code>, <code>model</code>, <code>traceId</code> (a Langfuse trace to score) and <code>createdAt</code> are optional.
      </p>
      <pre className="code" data-testid="ingest-curl">{command}</pre>
      <div className="row-end"><Button size="sm" onClick={() => void navigator.clipboard?.writeText(command)}>Copy command</Button></div>
    </details>
  );
}

