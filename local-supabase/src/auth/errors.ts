/**
 * GoTrue's error shape (internal/api/apierrors): `{"code": <HTTP status>, "error_code": "...", "msg": "..."}`
 * with the code also in the `X-Sb-Error-Code` header. auth-js reads `error_code` (and the header) to
 * pick an error class; a body it cannot read becomes "AuthUnknownError", which is what a client of
 * the embedded default must never see for an endpoint GoTrue has.
 */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function authError(status: number, errorCode: string, msg: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return Response.json({ code: status, error_code: errorCode, msg, ...extra }, { status, headers: { "x-sb-error-code": errorCode, ...headers } });
}

export function fromAuthError(err: AuthError): Response {
  return authError(err.status, err.errorCode, err.message, err.extra, err.headers);
}

export const noAuthorization = () => new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
export const badJwt = (detail: string) => new AuthError(403, "bad_jwt", detail);
export const validationFailed = (msg: string) => new AuthError(400, "validation_failed", msg);
export const notAdmin = () => new AuthError(403, "not_admin", "User not allowed");
export const userNotFound = () => new AuthError(404, "user_not_found", "User not found");

/**
 * The error codes GoTrue gives statuses lite answers without one. lite's own errors already carry
 * GoTrue's shape; what it does not shape (its router's text/plain 404 and 405, its `{error,
 * error_description}` 500) is rewritten here so every answer an auth client reads is GoTrue's.
 */
export async function asGoTrueError(response: Response): Promise<Response> {
  if (response.status < 400) return response;
  const text = await response.text();
  const same = () => new Response(text, { status: response.status, headers: response.headers });
  if ((response.headers.get("content-type") ?? "").includes("json")) {
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      if (typeof body.error_code === "string" || typeof body.msg === "string" || typeof body.error === "string" && typeof body.error_description === "string" && response.status < 500) {
        return same();
      }
      if (typeof body.error_description === "string") return authError(response.status, "unexpected_failure", body.error_description);
    } catch {
      /* not JSON after all: shaped below */
    }
  }
  if (response.status === 404) return authError(404, "not_found", "The requested Auth endpoint does not exist");
  if (response.status === 405) return authError(405, "method_not_allowed", `Method not allowed${response.headers.get("allow") ? `; allowed: ${response.headers.get("allow")}` : ""}`, {}, response.headers.get("allow") ? { allow: response.headers.get("allow")! } : {});
  return authError(response.status, response.status >= 500 ? "unexpected_failure" : "validation_failed", text.trim() || `HTTP ${response.status}`);
}
