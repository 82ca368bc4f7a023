export type Role = "admin" | "curator" | "reviewer" | "manager";

/**
 * What each role may do, mirroring the RLS policies and function checks (the server refuses anyway;
 * this only decides what the UI offers).
 */
const RULES = {
  "feedback.triage": ["admin", "curator", "reviewer"],
  "feedback.create": ["admin", "curator", "reviewer"],
  "case.request": ["admin", "curator", "reviewer"],
  "case.comment": ["admin", "curator", "reviewer"],
  "case.edit": ["admin", "curator"],
  "case.decide": ["admin", "curator"],
  "training.manage": ["admin", "curator"],
  "jobs.view": ["admin", "curator", "reviewer", "manager"],
  "jobs.start": ["admin"],
  "models.toggleLive": ["admin"],
  "boards.view": ["admin", "manager"],
  "admin.members": ["admin"],
  "audit.view": ["admin", "manager"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof RULES;

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return !!role && (RULES[permission] as readonly Role[]).includes(role);
}

export const ROLE_LABELS: Record<Role, string> = { admin: "Admin", curator: "Curator", reviewer: "Reviewer", manager: "Manager" };
export const ROLES: Role[] = ["admin", "curator", "reviewer", "manager"];
