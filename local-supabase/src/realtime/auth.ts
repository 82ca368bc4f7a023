import type postgres from "postgres";
import { verifyJwt } from "../keys.ts";

export type Claims = Record<string, unknown> & { role?: string; sub?: string; exp?: number };

export type TokenCheck = { ok: true; claims: Claims } | { ok: false; reason: string };

const DB_ROLES = new Set(["anon", "authenticated", "service_role"]);

/** SPEC A1: the reason strings follow Supabase Realtime's join errors. */
export async function checkToken(token: unknown, jwtSecret: string): Promise<TokenCheck> {
  if (typeof token !== "string" || token.length === 0) return { ok: false, reason: "InvalidJWTToken: Token is missing" };
  const res = await verifyJwt(token, jwtSecret);
  if (res.ok) {
    const claims = res.claims as Claims;
    const role = typeof claims.role === "string" ? claims.role : "anon";
    if (!DB_ROLES.has(role)) return { ok: false, reason: `InvalidJWTToken: Unsupported role ${JSON.stringify(role)}` };
    return { ok: true, claims };
  }
  if (res.reason === "expired") {
    const exp = decodeExp(token);
    const ago = exp ? Math.max(0, Math.floor(Date.now() / 1000) - exp) : 0;
    return { ok: false, reason: `InvalidJWTToken: Token has expired ${ago} seconds ago` };
  }
  return { ok: false, reason: "InvalidJWTToken: Invalid token" };
}

function decodeExp(token: string): number | undefined {
  try {
    const part = token.split(".")[1];
    if (!part) return undefined;
    const exp = (JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp : undefined;
  } catch {
    return undefined;
  }
}

export function dbRole(claims: Claims): "anon" | "authenticated" | "service_role" {
  const r = claims.role;
  return r === "authenticated" || r === "service_role" ? r : "anon";
}

export type ChannelPolicy = { broadcastRead: boolean; broadcastWrite: boolean; presenceRead: boolean; presenceWrite: boolean };

const ALL: ChannelPolicy = { broadcastRead: true, broadcastWrite: true, presenceRead: true, presenceWrite: true };

/**
 * SPEC A3: Realtime Authorization. Policies on realtime.messages are evaluated as the user, in one
 * transaction that is always rolled back: probe rows inserted with the server's own rights are
 * selected as the user (read), and a probe insert as the user (write) is attempted in a savepoint.
 */
export async function authorizeChannel(sql: postgres.Sql, claims: Claims, subTopic: string): Promise<ChannelPolicy> {
  const role = dbRole(claims);
  if (role === "service_role") return ALL;
  const result: ChannelPolicy = { broadcastRead: false, broadcastWrite: false, presenceRead: false, presenceWrite: false };
  await sql
    .begin(async (tx) => {
      const probes = await tx<{ id: string; extension: string }[]>`
        insert into realtime.messages (topic, extension, private, payload, event)
        values (${subTopic}, 'broadcast', true, '{}'::jsonb, 'authorization_probe'), (${subTopic}, 'presence', true, '{}'::jsonb, 'authorization_probe')
        returning id, extension`;
      await tx.unsafe(`set local role ${role}`);
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('realtime.topic', ${subTopic}, true)`;
      for (const p of probes) {
        const rows = await tx`select 1 from realtime.messages where id = ${p.id} and extension = ${p.extension} and topic = ${subTopic}`;
        if (p.extension === "broadcast") result.broadcastRead = rows.length > 0;
        else result.presenceRead = rows.length > 0;
      }
      for (const ext of ["broadcast", "presence"] as const) {
        try {
          await tx.savepoint(async (sp) => {
            await sp`insert into realtime.messages (topic, extension, private, payload, event) values (${subTopic}, ${ext}, true, '{}'::jsonb, 'authorization_probe')`;
            throw new Rollback();
          });
        } catch (err) {
          if (err instanceof Rollback) {
            if (ext === "broadcast") result.broadcastWrite = true;
            else result.presenceWrite = true;
          } else if (!isPermissionError(err)) {
            throw err;
          }
        }
      }
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return result;
}

class Rollback extends Error {}

export function isPermissionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  // 42501 insufficient_privilege (RLS violation or missing grant)
  return code === "42501";
}
