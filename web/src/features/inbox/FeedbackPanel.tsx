import { Link } from "react-router";
import { Button } from "../../components/ui/Button.tsx";
import { Avatar, AvatarStack } from "../../components/ui/Avatar.tsx";
import { EmptyState } from "../../components/ui/Field.tsx";
import { dateTime } from "../../lib/format.ts";
import type { Member } from "../orgs/index.ts";
import type { Viewer } from "./presence.ts";
import { useFeedback } from "./queries.ts";
import { STATUS_LABELS, canMoveFeedback } from "./types.ts";

type Props = {
  id: string;
  orgSlug: string;
  me: string;
  canTriage: boolean;
  canRequestCase: boolean;
  members: Map<string, Member>;
  viewers: Viewer[];
  onClose(): void;
  onCreateCase(id: string): void;
  onClaim(id: string, claim: boolean): void;
  onDismiss(id: string): void;
  onTriaged(id: string): void;
  onLabel(): void;
  onRemoveLabel(id: string, label: string): void;
};

export function FeedbackPanel({ id, orgSlug, me, canTriage, canRequestCase, members, viewers, onClose, onCreateCase, onClaim, onDismiss, onTriaged, onLabel, onRemoveLabel }: Props) {
  const { data: fb, isLoading, error } = useFeedback(id);
  if (isLoading) return <aside className="panel"><div className="muted pad">Loading…</div></aside>;
  if (error || !fb) return <aside className="panel"><EmptyState title="This feedback is not available.">It may have been deleted, or you lost access.</EmptyState></aside>;
  const claimer = fb.claimed_by ? members.get(fb.claimed_by) : undefined;
  return (
    <aside className="panel" aria-label="Feedback detail" data-testid="feedback-panel">
      <header className="panel-head">
        <span className={`rating rating-${fb.rating}`}>{fb.rating}</span>
        <span className={`status status-${fb.status}`}>{STATUS_LABELS[fb.status]}</span>
        <AvatarStack people={viewers} />
        <span className="grow" />
        <Button size="sm" variant="ghost" onClick={onClose} aria-label="Close detail">Close</Button>
      </header>
      <div className="panel-body">
        <section>
          <h3 className="section-title">Question</h3>
          <p className="prose">{fb.query}</p>
        </section>
        <section>
          <h3 className="section-title">Answer the user rated</h3>
          <p className="prose answer-bad">{fb.response}</p>
        </section>
        {fb.comment ? (
          <section>
            <h3 className="section-title">User comment</h3>
            <blockquote className="prose">{fb.comment}</blockquote>
          </section>
        ) : null}
        <section className="meta-grid">
          <span className="muted">Received</span><span>{dateTime(fb.created_at)}</span>
          <span className="muted">Model</span><span>{fb.model ?? "—"}</span>
          <span className="muted">Source</span><span>{fb.source}</span>
          <span className="muted">Claimed by</span>
          <span>{claimer ? <><Avatar name={claimer.name} color={claimer.color} size={18} /> {fb.claimed_by === me ? "you" : claimer.name}</> : "nobody"}</span>
        </section>
        <section>
          <h3 className="section-title">Labels</h3>
          <div className="chips-wrap">
            {fb.labels.map((l) => (
              <span key={l} className="label">
                #{l}
                {canTriage ? <button className="label-x" aria-label={`Remove label ${l}`} onClick={() => onRemoveLabel(fb.id, l)}>×</button> : null}
              </span>
            ))}
            {canTriage ? <Button size="sm" variant="ghost" onClick={onLabel}>+ Label <kbd>l</kbd></Button> : null}
          </div>
        </section>
      </div>
      <footer className="panel-actions">
        {fb.case_id ? (
          <Link className="btn btn-primary btn-md" to={`/o/${orgSlug}/cases/${fb.case_id}`}>Open case room</Link>
        ) : canRequestCase ? (
          <Button variant="primary" onClick={() => onCreateCase(fb.id)}>Create case <kbd>c</kbd></Button>
        ) : null}
        {canTriage ? (
          <>
            <Button onClick={() => onClaim(fb.id, fb.claimed_by !== me)}>{fb.claimed_by === me ? "Release" : "Claim"} <kbd>m</kbd></Button>
            {canMoveFeedback(fb.status, "triaged") ? <Button onClick={() => onTriaged(fb.id)}>Mark triaged</Button> : null}
            {canMoveFeedback(fb.status, "dismissed") ? <Button variant="danger" onClick={() => onDismiss(fb.id)}>Dismiss <kbd>d</kbd></Button> : null}
          </>
        ) : null}
      </footer>
    </aside>
  );
}
