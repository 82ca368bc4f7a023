import { messageOf } from "../../lib/errors.ts";

/** Character sets Auth names in a weak-password answer, in words a person reads. */
const CHARACTER_SETS: Array<[string, string]> = [
  ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "a letter"],
  ["abcdefghijklmnopqrstuvwxyz", "a lower-case letter"],
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "an upper-case letter"],
  ["0123456789", "a digit"],
  ["!@#$%^&*", "a symbol (!@#$%^&*)"],
];

/**
 * Auth's answer to a weak password (422 `weak_password`) states the project's policy, e.g. "Password
 * should be at least 8 characters. Password should contain at least one character of each: abc…XYZ,
 * 0123456789." The policy lives in the server's config, so it is read from there, in words.
 */
export function weakPasswordMessage(msg: string): string {
  const length = /at least (\d+) characters/.exec(msg)?.[1];
  const list = /character of each: (.+?)\.?$/.exec(msg)?.[1];
  const names = list?.split(", ").map((set) => CHARACTER_SETS.find(([chars]) => chars === set)?.[1] ?? `one of ${set}`);
  const include = names ? names.slice(0, -1).join(", ") + (names.length > 1 ? " and " : "") + names.at(-1) : null;
  if (length && include) return `Choose a stronger password: at least ${length} characters, including ${include}.`;
  if (length) return `Choose a longer password: at least ${length} characters.`;
  if (include) return `Choose a stronger password: include ${include}.`;
  return msg || "Choose a stronger password.";
}

type AuthFailure = { code?: string; message?: string; status?: number };

/** The sentence for an Auth error on the sign-in and sign-up pages. */
export function authMessage(error: unknown): string {
  const e = (error ?? {}) as AuthFailure;
  switch (e.code) {
    case "weak_password":
      return weakPasswordMessage(e.message ?? "");
    case "invalid_credentials":
      return "That email and password do not match an account.";
    case "email_not_confirmed":
      return "Confirm your email address first: follow the link we sent you.";
    case "over_request_rate_limit":
      return "Too many attempts from this network. Wait a few minutes, then try again.";
    case "over_email_send_rate_limit":
      return "We cannot send more emails right now. Wait a little, then try again.";
    case "signup_disabled":
    case "email_provider_disabled":
      return "Sign-up is turned off for this workspace.";
    default:
      return messageOf(error);
  }
}

/**
 * A confirmation or sign-in link that failed lands on the app with the reason in the URL fragment
 * (`#error=access_denied&error_code=otp_expired&error_description=…`). Read once, before anything
 * navigates away from it.
 */
export function linkErrorFromUrl(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (!params.get("error") && !params.get("error_code")) return null;
  return params.get("error_code") === "otp_expired"
    ? "That link is invalid or has expired. Sign in, or ask for a new link."
    : (params.get("error_description") ?? "That link could not be used.");
}
