import type { PasswordRequirements } from "../supabase-config.ts";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
// lite's symbols for `lower_upper_letters_digits_symbols`, which it checks on sign-up and password
// change, so every path agrees. The Supabase CLI hands GoTrue a wider set (also ()_+-=[]{};'\:"|<>?,./`~).
const SYMBOLS = "!@#$%^&*";

/** The character sets each `password_requirements` value asks one character of. */
export function requiredCharacters(requirements: PasswordRequirements): string[] {
  switch (requirements) {
    case "letters_digits":
      return [LOWER + UPPER, DIGITS];
    case "lower_upper_letters_digits":
      return [LOWER, UPPER, DIGITS];
    case "lower_upper_letters_digits_symbols":
      return [LOWER, UPPER, DIGITS, SYMBOLS];
    default:
      return [];
  }
}

export type PasswordPolicy = { minimumLength: number; requirements: PasswordRequirements };

/** GoTrue's answer to a weak password: 422 `weak_password`, with the reasons in `weak_password.reasons`. */
export type WeakPassword = {
  status: 422;
  body: { code: 422; error_code: "weak_password"; msg: string; weak_password: { reasons: Array<"length" | "characters"> } };
};

/**
 * GoTrue's checkPasswordStrength (internal/api/password.go), for the paths the gateway answers itself
 * (admin-created users, a repeated sign-up); lite runs the same check on sign-up and password change
 * from the same `[auth]` settings. null when the password passes.
 */
export function checkPassword(password: string, policy: PasswordPolicy): WeakPassword | null {
  const reasons: Array<"length" | "characters"> = [];
  const messages: string[] = [];
  if (password.length < policy.minimumLength) {
    reasons.push("length");
    messages.push(`Password should be at least ${policy.minimumLength} characters.`);
  }
  const sets = requiredCharacters(policy.requirements);
  if (sets.some((set) => ![...password].some((ch) => set.includes(ch)))) {
    reasons.push("characters");
    messages.push(`Password should contain at least one character of each: ${sets.join(", ")}.`);
  }
  if (!reasons.length) return null;
  return { status: 422, body: { code: 422, error_code: "weak_password", msg: messages.join(" "), weak_password: { reasons } } };
}
