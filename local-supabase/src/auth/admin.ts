import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { z } from "zod";
import { verifyJwt } from "../keys.ts";
import { storedJson } from "./claims.ts";
import { checkPassword, type PasswordPolicy } from "./password-policy.ts";

/**
 * GoTrue's admin API (/auth/v1/admin/users), which @supabase/lite does not implement yet.
 * supabase-js's `auth.admin.*` calls land here. Only a service_role JWT may use it, as in GoTrue.
 * A password set here meets the same policy as on sign-up (`[auth] minimum_password_length` and
 * `password_requirements`), as GoTrue's admin endpoints check it.
 */
const createUserBody = z.object({
  email: z.string().email(),
  password: z.string().max(72, "Password cannot be longer than 72 characters").optional(),
  email_confirm: z.boolean().optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
});
const updateUserBody = createUserBody.partial().extend({ ban_duration: z.string().optional() });

type Json = Record<string, unknown>;
export type AdminResponse = { status: number; body: Json; headers?: Record<string, string> };

export async function handleAuthAdmin(
  sql: postgres.Sql,
  jwtSecret: string,
  policy: PasswordPolicy,
  method: string,
  subpath: string,
  headers: Headers,
  rawBody: string,
  query: URLSearchParams = new URLSearchParams(),
): Promise<AdminResponse> {
  const bearer = headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
  const v = await verifyJwt(bearer, jwtSecret);
  if (!v.ok || v.claims.role !== "service_role") {
    return { status: 403, body: { code: 403, error_code: "not_admin", msg: "User not allowed" } };
  }
  const idMatch = subpath.match(/^\/users\/([0-9a-f-]{36})$/i);
  try {
    if (subpath === "/users" && method === "GET") {
      return await listUsers(sql, query);
    }
    if (subpath === "/users" && method === "POST") {
      const input = createUserBody.safeParse(parseJson(rawBody));
      if (!input.success) return validation(input.error);
      const { email, password, email_confirm, user_metadata, app_metadata } = input.data;
      const weak = password === undefined ? null : checkPassword(password, policy);
      if (weak) return weak;
      const exists = await sql`select 1 from auth.users where lower(email) = lower(${email})`;
      if (exists.length) {
        return { status: 422, body: { code: 422, error_code: "email_exists", msg: "A user with this email address has already been registered" } };
      }
      const id = randomUUID();
      // The user and its email identity are one unit, as in GoTrue: never a user that cannot be linked.
      const row = await sql.begin(async (tx) => {
        const [user] = await tx`
          insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
          values (${id}, 'authenticated', 'authenticated', ${email.toLowerCase()},
            ${password ? tx`extensions.crypt(${password}, extensions.gen_salt('bf', 10))` : null},
            ${email_confirm ? tx`now()` : null},
            ${tx.json({ provider: "email", providers: ["email"], ...(app_metadata ?? {}) } as never)},
            ${tx.json((user_metadata ?? {}) as never)})
          returning *`;
        await tx`
          insert into auth.identities (id, provider, provider_id, user_id, identity_data)
          values (${randomUUID()}, 'email', ${id}, ${id}, ${tx.json({ sub: id, email: email.toLowerCase(), email_verified: Boolean(email_confirm) } as never)})`;
        return user;
      });
      return { status: 200, body: toUser(row!) };
    }
    if (idMatch && method === "GET") {
      const [row] = await sql`select * from auth.users where id = ${idMatch[1]!}`;
      return row ? { status: 200, body: toUser(row) } : notFound();
    }
    if (idMatch && method === "PUT") {
      const input = updateUserBody.safeParse(parseJson(rawBody));
      if (!input.success) return validation(input.error);
      const d = input.data;
      const weak = d.password === undefined ? null : checkPassword(d.password, policy);
      if (weak) return weak;
      const [row] = await sql`
        update auth.users set
          email = coalesce(${d.email?.toLowerCase() ?? null}, email),
          encrypted_password = case when ${d.password ?? null}::text is null then encrypted_password
            else extensions.crypt(${d.password ?? null}, extensions.gen_salt('bf', 10)) end,
          email_confirmed_at = case when ${d.email_confirm ?? null}::boolean then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
          -- lite stores the metadata of users it creates as a JSON string in the jsonb (claims.ts, storedJson).
          raw_user_meta_data = case jsonb_typeof(raw_user_meta_data) when 'string' then (raw_user_meta_data #>> '{}')::jsonb
            else coalesce(raw_user_meta_data, '{}') end || ${sql.json((d.user_metadata ?? {}) as never)},
          raw_app_meta_data = case jsonb_typeof(raw_app_meta_data) when 'string' then (raw_app_meta_data #>> '{}')::jsonb
            else coalesce(raw_app_meta_data, '{}') end || ${sql.json((d.app_metadata ?? {}) as never)},
          updated_at = now()
        where id = ${idMatch[1]!} returning *`;
      return row ? { status: 200, body: toUser(row) } : notFound();
    }
    if (idMatch && method === "DELETE") {
      const rows = await sql`delete from auth.users where id = ${idMatch[1]!} returning id`;
      return rows.length ? { status: 200, body: {} } : notFound();
    }
    return { status: 404, body: { code: 404, error_code: "not_found", msg: "Not found" } };
  } catch (err) {
    return { status: 500, body: { code: 500, error_code: "unexpected_failure", msg: (err as Error).message } };
  }
}

function toUser(r: Record<string, unknown>): Json {
  return {
    id: r.id,
    aud: r.aud,
    role: r.role,
    email: r.email,
    email_confirmed_at: r.email_confirmed_at,
    confirmed_at: r.confirmed_at,
    last_sign_in_at: r.last_sign_in_at,
    app_metadata: storedJson(r.raw_app_meta_data),
    user_metadata: storedJson(r.raw_user_meta_data),
    identities: [],
    created_at: r.created_at,
    updated_at: r.updated_at,
    is_anonymous: false,
  };
}

/**
 * GoTrue's paging: `page` (from 1) and `per_page` (default 50), newest first; the total in
 * X-Total-Count and the next and last pages in a Link header, which supabase-js's listUsers() reads.
 */
async function listUsers(sql: postgres.Sql, query: URLSearchParams): Promise<AdminResponse> {
  const page = wholeNumber(query.get("page"), 1);
  const perPage = wholeNumber(query.get("per_page"), 50);
  if (page === null || perPage === null) return { status: 400, body: { code: 400, error_code: "validation_failed", msg: "Bad Pagination Parameters" } };
  const [{ total }] = (await sql`select count(*)::int as total from auth.users where deleted_at is null`) as unknown as [{ total: number }];
  const rows = await sql`select * from auth.users where deleted_at is null order by created_at desc, id limit ${perPage} offset ${(page - 1) * perPage}`;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const link = (n: number, rel: string) => `</admin/users?page=${n}&per_page=${perPage}>; rel="${rel}"`;
  const links = [...(page < lastPage ? [link(page + 1, "next")] : []), link(lastPage, "last")];
  return { status: 200, body: { users: rows.map(toUser), aud: "authenticated" }, headers: { "x-total-count": String(total), link: links.join(", ") } };
}

function wholeNumber(value: string | null, fallback: number): number | null {
  if (value === null || value === "") return fallback;
  return /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}

function parseJson(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return Symbol("invalid");
  }
}

function validation(error: z.ZodError): AdminResponse {
  return {
    status: 400,
    body: { code: 400, error_code: "validation_failed", msg: error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") },
  };
}

function notFound(): AdminResponse {
  return { status: 404, body: { code: 404, error_code: "user_not_found", msg: "User not found" } };
}
