import { useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { Tabs } from "radix-ui";
import { DOC_TEXT_FIELDS } from "@review/shared/yjs/persistence";
import { Button } from "../../components/ui/Button.tsx";
import { EmptyState, ErrorState } from "../../components/ui/Field.tsx";
import { toast } from "../../components/ui/toast.tsx";
import { can } from "../../lib/permissions.ts";
import { dateTime } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import { useCurrentOrg, useMembers, useMe } from "../orgs/index.ts";
import { AnswerEditor, AuthorshipLegend, AuthorshipToggle, DiffView, replaceText, RoomPresence, useAuthorship, useCollabDoc, useShowAuthorship, useYText } from "../collab/index.ts";
import { Comments } from "./Comments.tsx";
import { ApproveDialog, RejectDialog } from "./DecisionDialogs.tsx";
import { useCase, useCaseLive, useDecide } from "./queries.ts";
import { RegeneratePanel } from "./RegeneratePanel.tsx";
import type { CaseWithFeedback } from "./types.ts";

export default function CaseRoomPage() {
  const { caseId = "" } = useParams();
  const org = useCurrentOrg();
  const { data: c, isLoading, error, refetch } = useCase(caseId);
  useCaseLive(caseId);
  if (isLoading) return <div className="page muted">Loading the case…</div>;
  if (error) return <div className="page"><ErrorState error={error} retry={() => void refetch()} /></div>;
  if (!c || c.org_id !== org.org_id) return <div className="page"><EmptyState title="This case does not exist here.">It may belong to another organization.</EmptyState></div>;
  return <CaseRoom key={c.id} c={c} />;
}

function CaseRoom({ c }: { c: CaseWithFeedback }) {
  const org = useCurrentOrg();
  const me = useMe(org.org_id);
  const { byId: members } = useMembers(org.org_id);
  const pending = c.status === "pending";
  const mayEdit = can(org.role, "case:edit");
  const editable = mayEdit && pending;
  const mayDecide = can(org.role, "case:decide") && pending;
  const docId = `case:${c.id}`;

  const { session, status, synced, participants } = useCollabDoc({ docId, field: DOC_TEXT_FIELDS.case, me, initialText: c.suggested_response, editable });
  const liveText = useYText(session?.ytext);
  // Before the document has content (never edited, or a read-only viewer), the stored answer stands in.
  const text = liveText || c.suggested_response;
  const [showAuthorship, setShowAuthorship] = useShowAuthorship();
  const { who, legend } = useAuthorship({ docId, ytext: session?.ytext, myClientId: session?.doc.clientID, myUserId: me.userId, members, enabled: showAuthorship && !!session });

  const decide = useDecide(c.id);
  const [approveOpen, setApproveOpen] = useState(false);
  const [rejectOpen, setRejectOpen] = useState(false);
  // One approval at a time: a double click must not send two (the second would come back "already
  // approved" and show an error under a success). Busy from the first click, before any request.
  const [approving, setApproving] = useState(false);
  const approvingRef = useRef(false);

  async function approve(tags: string[]) {
    if (approvingRef.current) return;
    approvingRef.current = true;
    setApproving(true);
    try {
      // The decision must see the last keystrokes: the approval reads the stored document, so store it
      // first. (The case row's text copy is the worker's: doc_upkeep.)
      if (session) await session.provider.whenPersisted();
      await decide.approve.mutateAsync(tags);
      setApproveOpen(false);
      toast.success("Approved", "The answer is now a training example.");
    } catch {
      /* shown in the dialog */
    } finally {
      approvingRef.current = false;
      setApproving(false);
    }
  }

  return (
    <div className="page case-room" data-testid="case-room" data-case-status={c.status}>
      <header className="page-head">
        <div>
          <div className="crumbs"><Link to={`/o/${org.slug}/inbox/${c.feedback_id}`}>Inbox</Link> / Case</div>
          <h1 className="case-title">{c.query}</h1>
        </div>
        <span className="grow" />
        <RoomPresence participants={participants} status={status} label="In this room" />
        {mayDecide ? (
          <div className="row">
            <Button variant="danger" onClick={() => setRejectOpen(true)}>Reject</Button>
            <Button variant="primary" onClick={() => setApproveOpen(true)}>Approve</Button>
          </div>
        ) : null}
      </header>

      <DecisionBanner c={c} members={members} />

      <div className="case-grid">
        <div className="case-main">
          <section className="card">
            <div className="card-head">
              <h3 className="section-title">Suggested answer</h3>
              <span className="muted small">{c.suggestion_model ? `drafted by ${c.suggestion_model}` : null}</span>
              <span className="grow" />
              {session ? <AuthorshipToggle on={showAuthorship} onChange={setShowAuthorship} /> : null}
              {!editable ? <span className="badge badge-neutral">{pending ? "Read only for your role" : "Decided — read only"}</span> : null}
            </div>
            {session && showAuthorship ? <AuthorshipLegend entries={legend} /> : null}
            {session ? (
              <AnswerEditor ytext={session.ytext} awareness={session.awareness} editable={editable} label="Suggested answer" authors={who} />
            ) : (
              <div className="answer-editor is-readonly"><p className="prose">{c.suggested_response}</p></div>
            )}
            {!liveText && synced && !editable && c.suggested_response ? <p className="prose muted">{c.suggested_response}</p> : null}
          </section>

          <Tabs.Root defaultValue="diff" className="tabs">
            <Tabs.List className="tab-list" aria-label="Compare">
              <Tabs.Trigger className="tab" value="diff">Changes from the original</Tabs.Trigger>
              <Tabs.Trigger className="tab" value="original">Original answer</Tabs.Trigger>
            </Tabs.List>
            <Tabs.Content value="diff" className="card"><DiffView before={c.bad_response} after={text} /></Tabs.Content>
            <Tabs.Content value="original" className="card"><p className="prose answer-bad">{c.bad_response}</p></Tabs.Content>
          </Tabs.Root>

          {editable && session ? <RegeneratePanel caseId={c.id} onUse={(t) => replaceText(session.ytext, t, "regenerate")} /> : null}
        </div>

        <aside className="case-side">
          <section className="card">
            <h3 className="section-title">Feedback</h3>
            <div className="meta-grid">
              <span className="muted">Rating</span><span>{c.feedback ? <span className={`rating rating-${c.feedback.rating}`}>{c.feedback.rating}</span> : "—"}</span>
              <span className="muted">Model</span><span>{c.feedback?.model ?? "—"}</span>
              <span className="muted">Labels</span><span>{c.feedback?.labels.map((l) => <span key={l} className="label">#{l}</span>)}</span>
              <span className="muted">Opened</span><span>{dateTime(c.created_at)}</span>
            </div>
            {c.feedback?.comment ? <blockquote className="prose">{c.feedback.comment}</blockquote> : null}
          </section>
          <Comments caseId={c.id} orgId={org.org_id} canComment={can(org.role, "comment:write")} members={members} me={me.userId} role={org.role} />
        </aside>
      </div>

      <ApproveDialog open={approveOpen} onClose={() => setApproveOpen(false)} onConfirm={(t) => void approve(t)} busy={approving || decide.approve.isPending} error={decide.approve.error ? messageOf(decide.approve.error) : null} defaultTags={c.feedback?.labels ?? []} />
      <RejectDialog
        open={rejectOpen}
        onClose={() => setRejectOpen(false)}
        onConfirm={(reason) => decide.reject.mutate(reason, { onSuccess: () => { setRejectOpen(false); toast.info("Rejected", "The reason is kept with the case."); } })}
        busy={decide.reject.isPending}
        error={decide.reject.error ? messageOf(decide.reject.error) : null}
      />
    </div>
  );
}

function DecisionBanner({ c, members }: { c: CaseWithFeedback; members: Map<string, { name: string }> }) {
  if (c.status === "pending") return null;
  const who = c.approved_by ? (members.get(c.approved_by)?.name ?? "a curator") : "a curator";
  return (
    <div className={`banner banner-${c.status}`} role="status" data-testid="decision-banner">
      {c.status === "approved" ? `Approved by ${who}` : `Rejected by ${who}`}
      {c.decided_at ? ` · ${dateTime(c.decided_at)}` : ""}
      {c.status === "rejected" && c.reject_reason ? <div className="banner-reason">Reason: {c.reject_reason}</div> : null}
    </div>
  );
}
