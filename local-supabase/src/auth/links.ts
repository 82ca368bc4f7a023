import { createHash, randomInt, randomUUID } from "node:crypto";
import type { EmailDriver } from "@supabase/lite";
import type postgres from "postgres";
import type { AuthConfig } from "../supabase-config.ts";
import { AuthError, validationFailed } from "./errors.ts";
import { checkPassword, type PasswordPolicy } from "./password-policy.ts";
import { uuidv7 } from "./signup.ts";
import { loadUser } from "./users.ts";

/**
 * GoTrue's admin links (internal/api/mail.go adminGenerateLink, invite.go): `POST /admin/generate_link`
 * makes the link an email would carry and hands it to the caller without sending anything;
 * `POST /invite` creates the user (or takes an unconfirmed one) and emails the invitation through
 * the project's mailer, which locally is the mail catcher.
 *
 * The tokens are stored as lite stores its own (the hex SHA-256 of the address and the one-time
 * code, in the user's token columns), so a generated link and its code verify on the same /verify
 * as the links lite sends. An invitation is verified as a sign-up confirmation (auth/index.ts
 * passes `type=invite` to lite as `signup`): following it sets `email_confirmed_at`, which is what the
 * database's on_auth_user_confirmed trigger turns pending invitations into memberships on.
 */
export type LinkContext = { sql: postgres.Sql; config: AuthConfig; policy: PasswordPolicy; authUrl: string; mailer: EmailDriver };

const LINK_TYPES = new Set(["signup", "invite", "magiclink", "recovery", "email_change_current", "email_change_new"]);
const DUPLICATE_EMAIL = "A user with this email address has already been registered";

export function validateEmail(email: unknown): string {
  if (typeof email !== "string" || email === "") throw validationFailed("An email address is required");
  if (email.length > 255) throw validationFailed("An email address is too long");
  // checkmail's format check, as GoTrue runs it.
  if (!/^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(email)) {
    throw validationFailed("Unable to validate email address: invalid format");
  }
  return email.toLowerCase();
}

/** lite's token hash: hex SHA-256 of the lower-cased address followed by the code. */
export function tokenHash(email: string, otp: string): string {
  return createHash("sha256").update(email.toLowerCase() + otp).digest("hex");
}

function otpOf(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String(randomInt(10));
  return s;
}

/** Where a link may send the browser afterwards: the requested URL if allowed, else site_url (GoTrue's IsRedirectURLValid, exact or prefix-free). */
export function redirectFor(config: AuthConfig, requested: unknown): string {
  if (typeof requested === "string" && requested) {
    const allowed = [config.siteUrl, ...config.additionalRedirectUrls];
    if (allowed.some((a) => matchesAllowed(requested, a))) return requested;
  }
  return config.siteUrl;
}

function matchesAllowed(url: string, pattern: string): boolean {
  if (pattern.includes("*")) {
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(url);
  }
  try {
    const u = new URL(url);
    const a = new URL(pattern);
    return u.origin === a.origin && (u.pathname === a.pathname || u.pathname.startsWith(a.pathname.endsWith("/") ? a.pathname : `${a.pathname}/`) || a.pathname === "/");
  } catch {
    return false;
  }
}

function actionLink(ctx: LinkContext, hashed: string, type: string, redirectTo: string): string {
  const q = new URLSearchParams({ token: hashed, type, redirect_to: redirectTo });
  return `${ctx.authUrl}/verify?${q.toString()}`;
}

async function createEmailUser(tx: postgres.TransactionSql, email: string, password: string | null, data: unknown): Promise<string> {
  const id = uuidv7();
  const meta = data && typeof data === "object" && !Array.isArray(data) ? data : {};
  await tx`
    insert into auth.users (id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values (${id}, 'authenticated', 'authenticated', ${email},
      ${password ? tx`extensions.crypt(${password}, extensions.gen_salt('bf', 10))` : null},
      ${tx.json({ provider: "email", providers: ["email"] } as never)}, ${tx.json(meta as never)}, now(), now())`;
  await tx`
    insert into auth.identities (id, provider, provider_id, user_id, identity_data, last_sign_in_at, created_at, updated_at)
    values (${randomUUID()}, 'email', ${id}, ${id}, ${tx.json({ sub: id, email, email_verified: false, phone_verified: false } as never)}, now(), now(), now())`;
  return id;
}

export async function generateLink(ctx: LinkContext, input: Record<string, unknown>): Promise<Response> {
  const type = typeof input.type === "string" ? input.type : "";
  const email = validateEmail(input.email);
  const redirectTo = redirectFor(ctx.config, input.redirect_to);
  if (!LINK_TYPES.has(type)) throw validationFailed(`Invalid email action link type requested: ${type}`);
  const otp = otpOf(ctx.config.email.otpLength);
  const hashed = tokenHash(email, otp);

  const result = await ctx.sql.begin(async (tx) => {
    const [existing] = await tx<Array<{ id: string; confirmed: boolean }>>`
      select id, email_confirmed_at is not null as confirmed from auth.users where lower(email) = ${email} and deleted_at is null for update`;
    let effective = type;
    let userId = existing?.id ?? null;
    if (!userId) {
      if (type === "magiclink") effective = "signup";
      else if (type === "recovery" || type.startsWith("email_change")) throw new AuthError(404, "user_not_found", "User with this email not found");
    }
    let linkType = effective.startsWith("email_change") ? "email_change" : effective;
    switch (effective) {
      case "magiclink":
      case "recovery":
        await tx`update auth.users set recovery_token = ${hashed}, recovery_sent_at = now() where id = ${userId!}`;
        break;
      case "signup":
      case "invite": {
        if (existing?.confirmed) throw new AuthError(422, "email_exists", DUPLICATE_EMAIL);
        if (!userId) {
          const password = effective === "signup" ? (typeof input.password === "string" && input.password ? input.password : null) : null;
          if (effective === "signup" && !password && type !== "magiclink") throw validationFailed("Signup requires a valid password");
          const weak = password && type !== "magiclink" ? checkPassword(password, ctx.policy) : null;
          if (weak) throw new AuthError(422, "weak_password", weak.body.msg, { weak_password: weak.body.weak_password });
          userId = await createEmailUser(tx, email, password, input.data);
        } else if (input.data && typeof input.data === "object") {
          await tx`update auth.users set raw_user_meta_data = case jsonb_typeof(raw_user_meta_data) when 'string' then (raw_user_meta_data #>> '{}')::jsonb else coalesce(raw_user_meta_data, '{}') end || ${tx.json(input.data as never)} where id = ${userId}`;
        }
        await tx`update auth.users set confirmation_token = ${hashed}, confirmation_sent_at = now(),
                 invited_at = case when ${effective === "invite"} then now() else invited_at end where id = ${userId}`;
        if (type === "magiclink") linkType = "signup";
        break;
      }
      default: {
        const newEmail = validateEmail(input.new_email);
        if (effective === "email_change_current" && !ctx.config.email.doubleConfirmChanges) {
          throw validationFailed("Enable secure email change to generate link for current email");
        }
        const [dup] = await tx`select 1 from auth.users where lower(email) = ${newEmail} and id <> ${userId!}`;
        if (dup) throw new AuthError(422, "email_exists", DUPLICATE_EMAIL);
        await tx`update auth.users set email_change = ${newEmail}, email_change_sent_at = now(), email_change_confirm_status = 0,
                 email_change_token_current = ${effective === "email_change_current" ? hashed : null},
                 email_change_token_new = ${effective === "email_change_new" ? tokenHash(newEmail, otp) : null} where id = ${userId!}`;
      }
    }
    return { userId: userId!, linkType, hashed: effective === "email_change_new" ? tokenHash(String(input.new_email).toLowerCase(), otp) : hashed };
  });
  const user = await loadUser(ctx.sql, result.userId);
  return Response.json({
    ...user,
    action_link: actionLink(ctx, result.hashed, result.linkType, redirectTo),
    email_otp: otp,
    hashed_token: result.hashed,
    verification_type: type,
    redirect_to: redirectTo,
  });
}

export async function invite(ctx: LinkContext, input: Record<string, unknown>): Promise<Response> {
  const email = validateEmail(input.email);
  const redirectTo = redirectFor(ctx.config, input.redirect_to ?? input.redirectTo);
  const otp = otpOf(ctx.config.email.otpLength);
  const hashed = tokenHash(email, otp);
  const userId = await ctx.sql.begin(async (tx) => {
    const [existing] = await tx<Array<{ id: string; confirmed: boolean }>>`
      select id, email_confirmed_at is not null as confirmed from auth.users where lower(email) = ${email} and deleted_at is null for update`;
    if (existing?.confirmed) throw new AuthError(422, "email_exists", DUPLICATE_EMAIL);
    const id = existing?.id ?? (await createEmailUser(tx, email, null, input.data));
    await tx`update auth.users set confirmation_token = ${hashed}, confirmation_sent_at = now(), invited_at = now() where id = ${id}`;
    await tx`insert into auth.audit_log_entries (id, payload, created_at, ip_address)
             values (${randomUUID()}, ${tx.json({ action: "user_invited", log_type: "team", traits: { user_id: id, user_email: email } } as never)}, now(), '')`;
    return id;
  });
  const link = actionLink(ctx, hashed, "invite", redirectTo);
  await ctx.mailer.send({
    to: email,
    subject: "You have been invited",
    text: `You have been invited to create a user on ${ctx.config.siteUrl}.\n\nFollow this link to accept the invite:\n${link}\n\nOr use this code: ${otp}\n`,
    html: `<h2>You have been invited</h2>\n<p>You have been invited to create a user on ${escapeHtml(ctx.config.siteUrl)}. Follow this link to accept the invite:</p>\n<p><a href="${escapeHtml(link)}">Accept the invite</a></p>\n<p>Or use this code: ${otp}</p>\n`,
  });
  return Response.json(await loadUser(ctx.sql, userId));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
