import { useState, type FormEvent } from "react";
import { Avatar } from "../../components/ui/Avatar.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { Dialog } from "../../components/ui/Dialog.tsx";
import { timeAgo } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Role } from "../../lib/permissions.ts";
import type { Member } from "../orgs/index.ts";
import { useCommentActions } from "./commentMutations.ts";
import { mayDeleteComment, mayEditComment } from "./commentRules.ts";
import { useAddComment, useComments } from "./queries.ts";
import type { Comment } from "./types.ts";

type Props = { caseId: string; orgId: string; canComment: boolean; members: Map<string, Member>; me: string; role: Role };

export function Comments({ caseId, orgId, canComment, members, me, role }: Props) {
  const { data: comments = [] } = useComments(caseId);
  const add = useAddComment(caseId, orgId);
  const { edit, remove } = useCommentActions(caseId);
  const [body, setBody] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Comment | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return;
    add.mutate(body.trim(), { onSuccess: () => setBody("") });
  };
  return (
    <section className="card comments" aria-label="Comments">
      <h3 className="section-title">Comments <span className="muted">({comments.length})</span></h3>
      <ol className="comment-list">
        {comments.map((c) => {
          const m = c.author_id ? members.get(c.author_id) : undefined;
          const name = m?.name ?? "Former member";
          const mayEdit = mayEditComment(c, me, role);
          const mayDelete = mayDeleteComment(c, me, role);
          return (
            <li key={c.id} className="comment" data-testid="comment">
              <Avatar name={name} color={m?.color ?? "#94a3b8"} size={22} />
              <div className="comment-main">
                <div className="comment-head">
                  <strong>{name}</strong> <span className="muted small">{timeAgo(c.created_at)}</span>
                  {editing !== c.id && (mayEdit || mayDelete) ? (
                    <span className="comment-actions">
                      {mayEdit ? <Button variant="ghost" size="sm" onClick={() => setEditing(c.id)} aria-label={`Edit comment by ${name}`}>Edit</Button> : null}
                      {mayDelete ? <Button variant="ghost" size="sm" onClick={() => setConfirming(c)} aria-label={`Delete comment by ${name}`}>Delete</Button> : null}
                    </span>
                  ) : null}
                </div>
                {editing === c.id ? (
                  <CommentEditor
                    initial={c.body}
                    onCancel={() => setEditing(null)}
                    onSave={(next) => {
                      setEditing(null);
                      if (next !== c.body) edit.mutate({ id: c.id, body: next });
                    }}
                  />
                ) : (
                  <p className="prose">{c.body}</p>
                )}
              </div>
            </li>
          );
        })}
        {!comments.length ? <li className="muted small">No comments yet.</li> : null}
      </ol>
      {canComment ? (
        <form onSubmit={submit} className="stack">
          <textarea rows={2} placeholder="Add a comment…" aria-label="Comment" value={body} maxLength={5000} onChange={(e) => setBody(e.target.value)}
            onKeyDown={(e) => { if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e); }} />
          {add.error ? <p className="form-error" role="alert">{messageOf(add.error)}</p> : null}
          <div className="row-end"><Button type="submit" busy={add.isPending} disabled={!body.trim()}>Comment</Button></div>
        </form>
      ) : null}
      <Dialog open={!!confirming} onOpenChange={(o) => !o && setConfirming(null)} title="Delete this comment?" description="It disappears for everyone in the room. This cannot be undone.">
        {confirming ? <blockquote className="prose comment-quote">{confirming.body}</blockquote> : null}
        <div className="row-end">
          <Button type="button" onClick={() => setConfirming(null)}>Cancel</Button>
          <Button
            type="button"
            variant="danger"
            autoFocus
            onClick={() => {
              if (confirming) remove.mutate(confirming.id);
              setConfirming(null);
            }}
          >
            Delete comment
          </Button>
        </div>
      </Dialog>
    </section>
  );
}

/** Inline editing of one comment: Enter saves, Shift+Enter is a new line, Escape cancels. */
function CommentEditor({ initial, onSave, onCancel }: { initial: string; onSave(body: string): void; onCancel(): void }) {
  const [draft, setDraft] = useState(initial);
  const trimmed = draft.trim();
  const save = () => {
    if (trimmed) onSave(trimmed);
  };
  return (
    <form className="stack comment-edit" onSubmit={(e) => { e.preventDefault(); save(); }}>
      <textarea
        rows={2}
        aria-label="Edit comment"
        value={draft}
        maxLength={5000}
        autoFocus
        onFocus={(e) => e.currentTarget.setSelectionRange(e.currentTarget.value.length, e.currentTarget.value.length)}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === "Escape") {
            // Inside the room's page, Escape only leaves the editor.
            e.preventDefault();
            e.stopPropagation();
            onCancel();
          }
        }}
      />
      <div className="row-end">
        <span className="muted small grow">Enter to save · Esc to cancel</span>
        <Button type="button" size="sm" onClick={onCancel}>Cancel</Button>
        <Button type="submit" size="sm" variant="primary" disabled={!trimmed}>Save</Button>
      </div>
    </form>
  );
}
