/**
 * The settings a REST request runs under, as lite (and PostgREST) set them: the role, and the JWT
 * claims that auth.uid(), auth.jwt() and RLS policies read. Both REST engines, lite (rest.ts) and the
 * fast path (rest/fast/), set exactly these, so a policy sees the same thing whichever one answers.
 * `claims: null` keeps whatever claims the transaction already has.
 */
export type RequestContext = {
  role: string;
  sub: string;
  claims: string | null;
  operation: string;
  /** The role's statement timeout (role-settings.ts); null leaves the connection's own. */
  statementTimeout?: string | null;
};

export function requestSettings(c: RequestContext): Array<[name: string, value: string | null]> {
  const settings: Array<[name: string, value: string | null]> = [
    ["role", c.role], // set_config('role', r, true) is SET LOCAL ROLE r
    ["request.jwt.claim.sub", c.sub],
    ["request.jwt.claim.role", c.role],
    ["storage.operation", c.operation],
    ["request.jwt.claims", c.claims],
  ];
  // Local to the request's transaction, and in force from its next statement: the query itself.
  if (c.statementTimeout) settings.push(["statement_timeout", c.statementTimeout]);
  return settings;
}
