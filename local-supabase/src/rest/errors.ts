/**
 * PostgREST's mapping from a Postgres SQLSTATE to an HTTP status (its docs' "HTTP Status Codes"
 * table). @supabase/lite answers some database errors with 500 where PostgREST answers 4xx
 * (a check violation is a 400 there), so the gateway re-derives the status from the code.
 */
export function postgrestStatus(sqlstate: string, authenticated: boolean): number | null {
  if (!/^[0-9A-Z]{5}$/.test(sqlstate)) return null;
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    P0001: 400,
    "42501": authenticated ? 403 : 401,
  };
  if (sqlstate in exact) return exact[sqlstate]!;
  const byClass: Record<string, number> = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
    "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, F0: 500, HV: 500, P0: 500, XX: 500,
  };
  return byClass[sqlstate.slice(0, 2)] ?? 400;
}
