import { randomBytes } from "node:crypto";
import type postgres from "postgres";

/**
 * Sign-up paths where lite's answer would tell a stranger whether an address has an account, or
 * would mark an address confirmed before its owner followed a link. Each answers as GoTrue does with
 * email confirmations on (internal/api/signup.go, otp.go, resend.go).
 */

export type ExistingUser = { id: string; email: string; confirmed: boolean; lastSentAt: Date | null };

/** The account holding `email`, compared without case as GoTrue and lite store addresses in lower case. */
export async function findByEmail(sql: postgres.Sql, email: string): Promise<ExistingUser | null> {
  const [row] = await sql<Array<{ id: string; email: string; confirmed: boolean; last_sent_at: Date | null }>>`
    select id, email, email_confirmed_at is not null as confirmed,
           greatest(confirmation_sent_at, recovery_sent_at) as last_sent_at
    from auth.users where lower(email) = lower(${email}) and deleted_at is null
    limit 1`;
  return row ? { id: row.id, email: row.email, confirmed: row.confirmed, lastSentAt: row.last_sent_at } : null;
}

/**
 * GoTrue's answer to a sign-up for an address that already has an account (sanitizeUser): 200 with a
 * user that does not exist (a fresh id, no identities, no session), shaped like the answer to a new
 * sign-up awaiting confirmation, and no email. lite instead answers 429 "only request this after 59
 * seconds", which says the address is taken.
 *
 * A new sign-up hashes the password before answering; so does this, with the same bcrypt cost (10,
 * lite's), so the time taken does not tell the two apart either. The timestamps come from Postgres
 * at the precision lite's rows have.
 */
export async function obfuscatedUser(sql: postgres.Sql, email: string, password: string, data: unknown): Promise<Record<string, unknown>> {
  const [row] = await sql<Array<{ now: string }>>`
    select to_json(date_trunc('milliseconds', clock_timestamp()))#>>'{}' as now, extensions.crypt(${password}, extensions.gen_salt('bf', 10)) as hash`;
  const id = uuidv7();
  const now = row!.now;
  const metadata = data && typeof data === "object" && !Array.isArray(data) ? data : {};
  const address = email.toLowerCase();
  return {
    id,
    aud: "authenticated",
    role: "authenticated",
    email: address,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: { ...metadata, email: address, email_verified: false, phone_verified: false, sub: id },
    identities: [],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
    confirmation_sent_at: now,
  };
}

/**
 * A version 7 UUID (RFC 9562: the time in milliseconds, then random bits), the kind lite gives a new
 * user; a fake id of another version would tell itself apart. Node 20's crypto makes only version 4.
 */
export function uuidv7(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A password for an account made by an email sign-in (OTP or magic link) to a new address: nobody
 * knows it, and it meets any `password_requirements` (GoTrue gives such accounts no password at all;
 * lite's sign-up needs one).
 */
export function unusablePassword(): string {
  return `${randomBytes(27).toString("base64url")}aA1!`;
}

/** `max_frequency` ("1s", "60s", "5m", "1h") in milliseconds, as GoTrue parses the CLI's duration. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return 1000;
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
}
