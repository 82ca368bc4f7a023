import { can, type Role } from "../../lib/permissions.ts";
import type { Comment } from "./types.ts";

/*
 * Who may change a comment, as the comments policies in 20260101000100_review.sql say (the server
 * refuses anyway; this only decides what the UI offers):
 *   edit:   the author, while a reviewer, curator or admin of the organization;
 *   delete: the author (any role), or an admin of the organization.
 */

export function mayEditComment(c: Pick<Comment, "author_id">, me: string, role: Role | null | undefined): boolean {
  return !!me && c.author_id === me && can(role, "comment:write");
}

export function mayDeleteComment(c: Pick<Comment, "author_id">, me: string, role: Role | null | undefined): boolean {
  return (!!me && c.author_id === me && !!role) || role === "admin";
}
