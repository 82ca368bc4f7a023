import type postgres from "postgres";
import { storedJson } from "./claims.ts";

/**
 * A user as GoTrue renders it (models.User's JSON): with its identities and, when it has any, its
 * MFA factors. The gateway's own endpoints (admin, MFA, anonymous sign-in, GET /user) answer with it.
 */
export type GoTrueUser = Record<string, unknown> & { id: string; email: string; is_anonymous: boolean };

export async function loadUser(sql: postgres.Sql, id: string): Promise<GoTrueUser | null> {
  const [row] = await sql`select * from auth.users where id = ${id} and deleted_at is null`;
  if (!row) return null;
  const [identities, factors] = await Promise.all([
    sql`select * from auth.identities where user_id = ${id} order by created_at`,
    sql`select * from auth.mfa_factors where user_id = ${id} order by created_at`,
  ]);
  return toUser(row, identities, factors);
}

export function toUser(r: Record<string, unknown>, identities: Array<Record<string, unknown>>, factors: Array<Record<string, unknown>>): GoTrueUser {
  const user: GoTrueUser = {
    id: String(r.id),
    aud: r.aud ?? "",
    role: r.role ?? "",
    email: (r.email as string | null) ?? "",
    ...(r.email_confirmed_at ? { email_confirmed_at: r.email_confirmed_at } : {}),
    phone: (r.phone as string | null) ?? "",
    ...(r.phone_confirmed_at ? { phone_confirmed_at: r.phone_confirmed_at } : {}),
    ...(r.confirmation_sent_at ? { confirmation_sent_at: r.confirmation_sent_at } : {}),
    ...(r.confirmed_at ? { confirmed_at: r.confirmed_at } : {}),
    ...(r.recovery_sent_at ? { recovery_sent_at: r.recovery_sent_at } : {}),
    ...(r.email_change ? { new_email: r.email_change } : {}),
    ...(r.email_change_sent_at ? { email_change_sent_at: r.email_change_sent_at } : {}),
    ...(r.reauthentication_sent_at ? { reauthentication_sent_at: r.reauthentication_sent_at } : {}),
    ...(r.invited_at ? { invited_at: r.invited_at } : {}),
    ...(r.last_sign_in_at ? { last_sign_in_at: r.last_sign_in_at } : {}),
    app_metadata: storedJson(r.raw_app_meta_data),
    user_metadata: storedJson(r.raw_user_meta_data),
    identities: identities.map(toIdentity),
    ...(factors.length ? { factors: factors.map(toFactor) } : {}),
    created_at: r.created_at,
    updated_at: r.updated_at,
    ...(r.banned_until ? { banned_until: r.banned_until } : {}),
    is_anonymous: r.is_anonymous === true,
  };
  return user;
}

export function toIdentity(i: Record<string, unknown>): Record<string, unknown> {
  const data = storedJson(i.identity_data) as Record<string, unknown>;
  return {
    identity_id: i.id,
    id: i.provider_id,
    user_id: i.user_id,
    identity_data: data,
    provider: i.provider,
    last_sign_in_at: i.last_sign_in_at ?? i.created_at,
    created_at: i.created_at,
    updated_at: i.updated_at,
    ...(typeof data.email === "string" ? { email: data.email.toLowerCase() } : {}),
  };
}

export function toFactor(f: Record<string, unknown>): Record<string, unknown> {
  return {
    id: f.id,
    friendly_name: f.friendly_name ?? "",
    factor_type: f.factor_type,
    status: f.status,
    created_at: f.created_at,
    updated_at: f.updated_at,
    ...(f.last_challenged_at ? { last_challenged_at: f.last_challenged_at } : {}),
  };
}
