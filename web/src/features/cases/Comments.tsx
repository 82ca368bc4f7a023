import { useState, type FormEvent } from "react";
import { Avatar } from "../../components/ui/Avatar.tsx";
import { Button } from "../../components/ui/Button.tsx";
import { timeAgo } from "../../lib/format.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Member } from "../orgs/queries.ts";
import { useAddComment, useComments } from "./queries.ts";

export function Comments({ caseId, orgId, canComment, members }: { caseId: string; orgId: string; canComment: boolean; members: Map<string, Member> }) {
  const { data: comments = [] } = useComments(caseId);
  const add = useAddComment(caseId, orgId);
  const [body, setBody] = useState("");
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
          return (
            <li key={c.id} className="comment">
              <Avatar name={m?.name ?? "Former member"} color={m?.color ?? "#94a3b8"} size={22} />
              <div>
                <div className="comment-head"><strong>{m?.name ?? "Former member"}</strong> <span className="muted small">{timeAgo(c.created_at)}</span></div>
                <p className="prose">{c.body}</p>
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
    </section>
  );
}
