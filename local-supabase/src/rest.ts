import fs from "node:fs";
import path from "node:path";
import { App, type ApiKeyResolver, type EmailDriver, type ResolvedKey } from "@supabase/lite";
import { createPostgresConnection } from "@supabase/lite/postgres";
import { applyPendingMigrations } from "@supabase/lite/cli";
import { sql } from "kysely";
import { verifyJwt } from "./keys.ts";
import { pipelineTransactionStart } from "./rest/pipeline.ts";
import { requestSettings } from "./request-context.ts";
import type { Logger } from "./log.ts";
import type { ApiConfig, AuthConfig } from "./supabase-config.ts";
import { installLiteHooks } from "./rest/lite-hooks.ts";
import { bindDbSettings, type DbSettings, type LiteApiConfig } from "./rest/db-config.ts";
import { missingPatches } from "../patches/lite.mjs";

// Telemetry off: @supabase/lite honours these before it sends anything.
process.env.LITE_TELEMETRY = "0";
process.env.DO_NOT_TRACK = "1";

export type RestAuthOptions = {
  databaseUrl: string;
  socket?: { path?: string };
  jwtSecret: string;
  /** `[auth]` from supabase/config.toml (supabase-config.ts). */
  auth: AuthConfig;
  /** Where lite sends the emails it renders (auth/email.ts around the mail catcher or the log). */
  emailDriver: EmailDriver;
  log: Logger;
  /** The statement timeout for a request's role (role-settings.ts); none when absent. */
  statementTimeout?: (role: string) => string | null;
  /** `[api]` (supabase-config.ts). */
  api: ApiConfig;
  /** PostgREST's in-database settings (`pgrst.*` on the authenticator role; rest/db-config.ts). */
  dbSettings?: DbSettings;
};

/**
 * Auth (/auth/v1) and REST (/rest/v1) through @supabase/lite's App on the postgres driver.
 * API keys are the Supabase JWTs (anon, service_role) verified with the project secret; lite's
 * own opaque-key scheme is replaced through its resolver seam.
 */
export async function createRestAuth(opts: RestAuthOptions) {
  const missing = missingPatches();
  if (missing.length) throw new Error(`@supabase/lite lacks the local patches ${missing.join(", ")} (local-supabase/patches/lite.mjs): run npm install`);
  installLiteHooks();
  const connection = createPostgresConnection({
    url: opts.databaseUrl,
    postgresOptions: {
      ...opts.socket,
      onnotice: () => {},
      max: 20,
      // postgres.js waits (0.5-1) × min(3^n / 100, 20) s before a connection's next reconnect, n counting
      // the failed attempts of the whole pool. After Postgres restarts, the failures while it was down
      // put that at 10-20 s, and a request that reached a connection still waiting out its backoff
      // waited that long after Postgres was back. Meanwhile the gateway answers 503 without asking lite
      // (db-status.ts), so few connections retry; a second between attempts is plenty.
      backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 1),
      // PostgREST renders timestamps the way Postgres's JSON does (`2026-01-01T10:00:00+00:00`);
      // lite passes Postgres's text form through (`2026-01-01 10:00:00+00`), which Safari cannot parse.
      types: {
        timestamptz: { to: 1184, from: [1184], serialize: (v: unknown) => v, parse: isoTimestamp },
        timestamp: { to: 1114, from: [1114], serialize: (v: unknown) => v, parse: isoTimestamp },
      } as never,
    },
  });
  const app = new App({
    connection,
    auth: liteAuthConfig(opts.auth, opts.jwtSecret),
    api: { max_rows: opts.api.maxRows, schemas: opts.api.schemas },
    options: {
      drivers: { email: opts.emailDriver },
      server: {
        disableStudio: true,
        admin: false,
        apiKeys: {
          resolver: (async (key, c) => {
            const vetted = handedOff.get(c.req.raw);
            if (vetted) {
              handedOff.delete(c.req.raw);
              return vetted;
            }
            const v = await verifyJwt(key, opts.jwtSecret);
            if (!v.ok || (v.claims.role !== "anon" && v.claims.role !== "service_role")) return null;
            return { type: v.claims.role === "service_role" ? "secret" : "publishable", claims: v.claims };
          }) satisfies ApiKeyResolver,
        },
      },
    },
  } as ConstructorParameters<typeof App>[0]);
  bindDbSettings((app.config as { api: LiteApiConfig }).api, opts.dbSettings ?? (() => undefined));
  batchSessionContext(connection, opts.statementTimeout);
  pipelineTransactionStart((text) => text.startsWith(CONTEXT_STATEMENT));
  await app.init();
  return app;
}

/**
 * `[auth]` in lite's own config shape, which follows config.toml's. lite enforces the password policy
 * on sign-up and password change, refuses to sign in an unconfirmed address (`email_not_confirmed`)
 * and renders the emails; rate limits and the answers that would reveal an account are the gateway's
 * (auth/index.ts), since lite has neither.
 */
function liteAuthConfig(a: AuthConfig, jwtSecret: string) {
  return {
    enabled: true,
    jwt_secret: jwtSecret,
    site_url: a.siteUrl,
    additional_redirect_urls: a.additionalRedirectUrls,
    jwt_expiry: a.jwtExpiry,
    enable_signup: a.enableSignup,
    minimum_password_length: a.minimumPasswordLength,
    password_requirements: a.passwordRequirements,
    email: {
      enable_signup: a.email.enableSignup,
      enable_confirmations: a.email.enableConfirmations,
      double_confirm_changes: a.email.doubleConfirmChanges,
      max_frequency: a.email.maxFrequency,
      otp_length: a.email.otpLength,
      otp_expiry: a.email.otpExpiry,
    },
  };
}

/**
 * REST requests whose API key and bearer token the gateway has already verified, with the claims
 * they run under. lite would verify the bearer again and then look up the user and the session
 * (two queries on every request; a third of a select's latency). PostgREST does neither: a valid,
 * unexpired JWT is the whole check, and signing out does not revoke an access token before it
 * expires. So the gateway hands lite the verified claims through its API-key seam, and lite runs
 * the request under them as it would under a key's own claims.
 */
const handedOff = new WeakMap<Request, ResolvedKey>();

/** `request` must carry no Authorization header: lite then takes `key`'s claims as the caller. */
export function handOffCredentials(request: Request, key: ResolvedKey) {
  handedOff.set(request, key);
}

/**
 * Whether lite picked up the claims handed off with `request`. If a lite upgrade stopped asking the
 * resolver, the request would have run as the API key's role (anon, usually): no leak, but a user's
 * data silently missing. The gateway refuses the answer instead.
 */
export function handOffTaken(request: Request): boolean {
  return !handedOff.has(request);
}

export const CONTEXT_STATEMENT = "select set_config('role', $1, true), set_config('request.jwt.claim.sub', $2, true)";

export type SessionContext = { auth?: { role?: string; uid?: unknown; jwt?: unknown }; storage?: { operation?: string } };

/**
 * lite sets a request's JWT context with six statements, one round trip each (set_config × 5 and
 * SET LOCAL ROLE). PostgREST does it in one statement; so do we, replacing that one method of lite
 * 0.10's connection (pinned in package.json). `set_config('role', r, true)` is `SET LOCAL ROLE r`.
 * If a lite upgrade renames the method, this does nothing and lite's own path runs (RLS tests cover both).
 */
function batchSessionContext(connection: object, statementTimeout?: (role: string) => string | null) {
  const target = connection as { applyJwtSessionContext?: (tx: unknown, ctx: SessionContext, setRole: boolean) => Promise<void> };
  if (typeof target.applyJwtSessionContext !== "function") return;
  target.applyJwtSessionContext = async (tx, ctx) => {
    await contextQuery(ctx, statementTimeout).execute(tx as never);
  };
}

/** The request's settings (request-context.ts) in one statement; its text starts with CONTEXT_STATEMENT. */
export function contextQuery(ctx: SessionContext, statementTimeout?: (role: string) => string | null) {
  const role = ctx.auth?.role || "anon";
  const settings = requestSettings({
    role,
    sub: String(ctx.auth?.uid ?? ""),
    claims: ctx.auth?.jwt && typeof ctx.auth.jwt === "object" ? JSON.stringify(ctx.auth.jwt) : null,
    operation: String(ctx.storage?.operation ?? ""),
    statementTimeout: statementTimeout?.(role) ?? null,
  });
  // Names inline and values as parameters, so the statement's text is the same for every request.
  const calls = settings.map(([name, value]) =>
    value === null
      ? sql`set_config(${sql.lit(name)}, coalesce(current_setting(${sql.lit(name)}, true), ''), true)`
      : sql`set_config(${sql.lit(name)}, ${value}, true)`,
  );
  return sql`select ${sql.join(calls)}`;
}

const textTimestamp = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$|^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

/** `2026-01-01 10:00:00.5+00` → `2026-01-01T10:00:00.5+00:00`; infinity and BC dates pass unchanged. */
export function isoTimestamp(text: string): string {
  const m = textTimestamp.exec(text);
  if (!m) return text;
  if (m[5]) return `${m[5]}T${m[6]}`;
  return `${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}`;
}

export type LiteApp = Awaited<ReturnType<typeof createRestAuth>>;

/**
 * Applies supabase/migrations through lite's migrator so history lands in
 * supabase_migrations.schema_migrations as with the Supabase CLI. lite resolves the folder
 * from the working directory, so it runs with cwd at the repository root.
 */
export async function migrate(app: LiteApp, root: string, log: Logger): Promise<string[]> {
  const prev = process.cwd();
  process.chdir(root);
  try {
    // lite's CLI helper is typed for its default config; ours is the same App class.
    const result = await applyPendingMigrations(app as unknown as Parameters<typeof applyPendingMigrations>[0]);
    for (const f of result.applied) log.info(`applied migration ${f.filename}`);
    return result.applied.map((f) => f.filename);
  } finally {
    process.chdir(prev);
  }
}

export function seedSql(root: string): string | null {
  const file = path.join(root, "supabase", "seed.sql");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
}

/**
 * Ends lite's connections within `seconds`. lite's own close() ends its postgres.js pool with no timeout,
 * which waits for every connection to finish what it holds; one still waiting out a reconnect, or
 * reserved by a request that never ended, held the gateway's shutdown for good. After the timeout
 * postgres.js destroys what is left, rejecting it.
 */
export async function closeLiteConnection(connection: unknown, seconds = 5): Promise<void> {
  const driver = (connection as { driver?: { end?(opts: { timeout: number }): Promise<void> } }).driver;
  if (typeof driver?.end === "function") return driver.end({ timeout: seconds });
  await (connection as { close(): Promise<void> }).close();
}
