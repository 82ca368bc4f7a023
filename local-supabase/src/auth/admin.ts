import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { z } from "zod";
import { verifyJwt, type ApiKeys } from "../keys.ts";
import type { AuthConfig } from "../supabase-config.ts";
import { bearerOf } from "./authenticate.ts";
import { AuthError, notAdmin } from "./errors.ts";
import { generateLink, validateEmail, type LinkContext } from "./links.ts";
import { adminFactors } from "./mfa.ts";
import { adminOAuthClients } from "./oauth-server.ts";
import { adminPasskeys } from "./passkeys.ts";
import { checkPassword, type PasswordPolicy } from "./password-policy.ts";
import { loadUser, toUser } from "./users.ts";

/**
 * GoTrue's admin API (/auth/v1/admin/…), which @supabase/lite does not implement yet.
 * supabase-js's `auth.admin.*` calls land here. Only a JWT of one of GoTrue's admin roles
 * (`service_role`, `supabase_admin`) may use it, as in GoTrue; the secret key stands for service_role.
 * A password set here meets the same policy as on sign-up (`[auth] minimum_password_length` and
 * `password_requirements`), as GoTrue's admin endpoints check it.
 */
const createUserBody = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().max(72, "Password cannot be longer than 72 characters").optional(),
  email_confirm: z.boolean().optional(),
  phone_confirm: z.boolean().optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
  role: z.string().optional(),
  ban_duration: z.string().optional(),
  id: z.string().uuid().optional(),
});
const updateUserBody = createUserBody.partial();

type Json = Record<string, unknown>;
export type AdminContext = { sql: postgres.Sql; keys: ApiKeys; policy: PasswordPolicy; config: AuthConfig; linkContext: LinkContext };

const ADMIN_ROLES = new Set(["service_role", "supabase_admin"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GoTrue's requireAdminCredentials: a valid bearer token whose role is an admin role. */
export async function requireAdmin(jwtSecret: string, headers: Headers): Promise<void> {
  const bearer = bearerOf(headers);
  if (!bearer) throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  const v = await verifyJwt(bearer, jwtSecret);
  if (!v.ok) throw new AuthError(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token signature is invalid");
  if (!ADMIN_ROLES.has(String(v.claims.role))) throw notAdmin();
}

export async function handleAuthAdmin(
  ctx: AdminContext,
  method: string,
  subpath: string,
  headers: Headers,
  rawBody: string,
  query: URLSearchParams = new URLSearchParams(),
): Promise<Response> {
  const { sql, policy } = ctx;
  await requireAdmin(ctx.keys.jwtSecret, headers);
  const parts = subpath.split("/").filter(Boolean);
  const input = parseJson(rawBody);
  if (input === INVALID) throw new AuthError(400, "bad_json", "Could not parse request body as JSON");
  const body = (input ?? {}) as Json;
  if (parts[0] === "generate_link" && parts.length === 1 && method === "POST") return generateLink(ctx.linkContext, body);
  if (parts[0] === "audit" && parts.length === 1 && method === "GET") return auditLog(sql, query);
  if (parts[0] === "sso") throw new AuthError(404, "saml_provider_disabled", "SAML 2.0 is disabled");
  if (parts[0] === "oauth") return adminOAuthClients(sql, ctx.config, method, parts.slice(1), body);
  if (parts[0] === "custom-providers") throw new AuthError(404, "feature_disabled", "Custom OAuth providers are disabled");
  if (parts[0] !== "users") throw new AuthError(404, "not_found", "The requested admin endpoint does not exist");

  if (parts.length === 1 && method === "GET") return json(await listUsers(sql, query));
  if (parts.length === 1 && method === "POST") return json(await createUser(sql, policy, body));
  if (parts.length === 1) throw new AuthError(405, "validation_failed", "Method not allowed");

  const userId = parts[1]!;
  if (!UUID.test(userId)) throw new AuthError(404, "validation_failed", "user_id must be an UUID");
  if (parts[2] === "factors") return adminFactors(sql, userId, method, parts[3], body);
  if (parts[2] === "passkeys" && parts.length <= 4) return adminPasskeys(sql, ctx.config, userId, method, parts[3]);
  if (parts.length > 2) throw new AuthError(404, "not_found", "The requested admin endpoint does not exist");
  const existing = await loadUser(sql, userId);
  if (!existing) throw new AuthError(404, "user_not_found", "User not found");
  if (method === "GET") return Response.json(existing);
  if (method === "PUT") return json(await updateUser(sql, policy, userId, body));
  if (method === "DELETE") {
    if (body.should_soft_delete === true) {
      await sql`update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '', raw_user_meta_data = '{}', raw_app_meta_data = '{}' where id = ${userId}`;
      await sql`delete from auth.identities where user_id = ${userId}`;
      await sql`delete from auth.sessions where user_id = ${userId}`;
    } else {
      await sql`delete from auth.users where id = ${userId}`;
    }
    return Response.json({});
  }
  throw new AuthError(405, "validation_failed", "Method not allowed");
}

function json(r: { status: number; body: Json; headers?: Record<string, string> }): Response {
  return Response.json(r.body, { status: r.status, headers: r.headers });
}

async function createUser(sql: postgres.Sql, policy: PasswordPolicy, raw: Json): Promise<AdminResponse> {
  const input = createUserBody.safeParse(raw);
  if (!input.success) throw validation(input.error);
  const { password, email_confirm, user_metadata, app_metadata, phone } = input.data;
  if (!input.data.email && !phone) throw new AuthError(400, "validation_failed", "Unable to validate email address: invalid format");
  const email = input.data.email ? validateEmail(input.data.email) : null;
  if (phone) throw new AuthError(400, "phone_provider_disabled", "Phone signups are disabled");
  const weak = password === undefined ? null : checkPassword(password, policy);
  if (weak) throw new AuthError(422, "weak_password", weak.body.msg, { weak_password: weak.body.weak_password });
  const exists = await sql`select 1 from auth.users where lower(email) = lower(${email})`;
  if (exists.length) throw new AuthError(422, "email_exists", "A user with this email address has already been registered");
  const id = input.data.id ?? randomUUID();
  // The user and its email identity are one unit, as in GoTrue: never a user that cannot be linked.
  await sql.begin(async (tx) => {
    await tx`
      insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, banned_until)
      values (${id}, 'authenticated', ${input.data.role ?? "authenticated"}, ${email},
        ${password ? tx`extensions.crypt(${password}, extensions.gen_salt('bf', 10))` : null},
        ${email_confirm ? tx`now()` : null},
        ${tx.json({ provider: "email", providers: ["email"], ...(app_metadata ?? {}) } as never)},
        ${tx.json((user_metadata ?? {}) as never)},
        ${banUntil(input.data.ban_duration)})`;
    await tx`
      insert into auth.identities (id, provider, provider_id, user_id, identity_data, last_sign_in_at)
      values (${randomUUID()}, 'email', ${id}, ${id}, ${tx.json({ sub: id, email, email_verified: Boolean(email_confirm), phone_verified: false } as never)}, now())`;
  });
  return { status: 200, body: (await loadUser(sql, id))! };
}

async function updateUser(sql: postgres.Sql, policy: PasswordPolicy, userId: string, raw: Json): Promise<AdminResponse> {
  const input = updateUserBody.safeParse(raw);
  if (!input.success) throw validation(input.error);
  const d = input.data;
  const email = d.email ? validateEmail(d.email) : null;
  const weak = d.password === undefined ? null : checkPassword(d.password, policy);
  if (weak) throw new AuthError(422, "weak_password", weak.body.msg, { weak_password: weak.body.weak_password });
  if (email) {
    const dup = await sql`select 1 from auth.users where lower(email) = ${email} and id <> ${userId}`;
    if (dup.length) throw new AuthError(422, "email_exists", "A user with this email address has already been registered");
  }
  const banned = d.ban_duration === undefined ? undefined : banUntil(d.ban_duration);
  const [row] = await sql`
    update auth.users set
      email = coalesce(${email}, email),
      encrypted_password = case when ${d.password ?? null}::text is null then encrypted_password
        else extensions.crypt(${d.password ?? null}, extensions.gen_salt('bf', 10)) end,
      email_confirmed_at = case when ${d.email_confirm ?? null}::boolean then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
      role = coalesce(${d.role ?? null}, role),
      banned_until = case when ${banned !== undefined} then ${banned ?? null}::timestamptz else banned_until end,
      -- lite stores the metadata of users it creates as a JSON string in the jsonb (claims.ts, storedJson).
      raw_user_meta_data = case jsonb_typeof(raw_user_meta_data) when 'string' then (raw_user_meta_data #>> '{}')::jsonb
        else coalesce(raw_user_meta_data, '{}') end || ${sql.json((d.user_metadata ?? {}) as never)},
      raw_app_meta_data = case jsonb_typeof(raw_app_meta_data) when 'string' then (raw_app_meta_data #>> '{}')::jsonb
        else coalesce(raw_app_meta_data, '{}') end || ${sql.json((d.app_metadata ?? {}) as never)},
      updated_at = now()
    where id = ${userId} returning id`;
  if (email && row) {
    await sql`update auth.identities set identity_data = identity_data || jsonb_build_object('email', ${email}::text) where user_id = ${userId} and provider = 'email'`;
  }
  if (d.ban_duration && d.ban_duration !== "none") await sql`delete from auth.sessions where user_id = ${userId}`;
  return { status: 200, body: (await loadUser(sql, userId))! };
}

/** GoTrue's ban_duration: "none" lifts a ban; a Go duration ("24h", "30m", "1h30m") bans until then. */
function banUntil(duration: string | undefined): Date | null {
  if (!duration || duration === "none") return null;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let matched = "";
  for (let m = re.exec(duration); m; m = re.exec(duration)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  if (matched !== duration) throw new AuthError(400, "validation_failed", `invalid format for ban duration: time: invalid duration "${duration}"`);
  return new Date(Date.now() + total);
}

async function auditLog(sql: postgres.Sql, query: URLSearchParams): Promise<Response> {
  const page = wholeNumber(query.get("page"), 1) ?? 1;
  const perPage = wholeNumber(query.get("per_page"), 50) ?? 50;
  const rows = await sql`select id, payload, created_at, ip_address from auth.audit_log_entries order by created_at desc limit ${perPage} offset ${(page - 1) * perPage}`;
  return Response.json(rows);
}

/**
 * GoTrue's paging: `page` (from 1) and `per_page` (default 50), newest first; the total in
 * X-Total-Count and the next and last pages in a Link header, which supabase-js's listUsers() reads.
 */
async function listUsers(sql: postgres.Sql, query: URLSearchParams): Promise<AdminResponse> {
  const page = wholeNumber(query.get("page"), 1);
  const perPage = wholeNumber(query.get("per_page"), 50);
  if (page === null || perPage === null) throw new AuthError(400, "validation_failed", "Bad Pagination Parameters");
  const [{ total }] = (await sql`select count(*)::int as total from auth.users where deleted_at is null`) as unknown as [{ total: number }];
  const rows = await sql`select * from auth.users where deleted_at is null order by created_at desc, id limit ${perPage} offset ${(page - 1) * perPage}`;
  const ids = rows.map((r) => String(r.id));
  const identities = ids.length ? await sql`select * from auth.identities where user_id in ${sql(ids)} order by created_at` : [];
  const factors = ids.length ? await sql`select * from auth.mfa_factors where user_id in ${sql(ids)} order by created_at` : [];
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const link = (n: number, rel: string) => `</admin/users?page=${n}&per_page=${perPage}>; rel="${rel}"`;
  const links = [...(page < lastPage ? [link(page + 1, "next")] : []), link(lastPage, "last")];
  return { status: 200, body: { users: rows.map((r) => toUser(r, identities.filter((i) => i.user_id === r.id), factors.filter((f) => f.user_id === r.id))), aud: "authenticated" }, headers: { "x-total-count": String(total), link: links.join(", ") } };
}

function wholeNumber(value: string | null, fallback: number): number | null {
  if (value === null || value === "") return fallback;
  return /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}

const INVALID = Symbol("invalid");

function parseJson(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return INVALID;
  }
}

type AdminResponse = { status: number; body: Json; headers?: Record<string, string> };

function validation(error: z.ZodError): AuthError {
  return new AuthError(400, "validation_failed", error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
}
