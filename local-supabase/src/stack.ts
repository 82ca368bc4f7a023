import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import postgres from "postgres";
import type { KnowledgeFactory } from "./llm/knowledge.ts";
import { repoRoot } from "./env.ts";
import { createGateway, type GatewayDeps } from "./gateway.ts";
import { deriveKeys, loadOrCreateSigningKeys, newJwtSecret, type ApiKeys } from "./keys.ts";
import { acquireLock } from "./lock.ts";
import { createLogger, type Logger } from "./log.ts";
import { assertClusterMajor, embeddedPostgresMajor } from "./pg-version.ts";
import { pgConnectionString, postgresJsTarget, startEmbeddedPostgres, type DatabaseHandle } from "./postgres.ts";
import { closeLiteConnection, createRestAuth, migrate, seedSql } from "./rest.ts";
import { StatementTimeouts } from "./role-settings.ts";
import { listenPgrst } from "./pgrst-notify.ts";
import { readApiConfig, readAuthConfig, readInbucketConfig } from "./supabase-config.ts";
import { AuthEmailDriver, AuthLimits, createAuthGateway, FIVE_MINUTES, ONE_HOUR, type RateLimitSettings } from "./auth/index.ts";
import { startMailCatcher } from "./mail/catcher.ts";
import { catcherDriver, logDriver } from "./mail/driver.ts";
import { startSmtpCatcher } from "./mail/smtp.ts";
import { changedMigrations, driftAdvice } from "./migration-drift.ts";
import { denoBinary } from "./functions/runner.ts";
import { FastRest } from "./rest/fast/index.ts";
import { DatabaseStatus } from "./db-status.ts";
import { ChildRegistry } from "./processes.ts";

export type StackOptions = {
  root?: string;
  /**
   * What the dev LLM may retrieve from (an organization's approved answers, fine-tuned models' indexes,
   * memberships): supplied by the product (dev/llm-knowledge.ts); without it the dev LLM answers from
   * each prompt alone.
   */
  llmKnowledge?: KnowledgeFactory;
  dataDir?: string;
  apiPort?: number;
  dbPort?: number;
  host?: string;
  databaseUrl?: string;
  jwtSecret?: string;
  /** Environment handed to Edge Functions and the LLM layer (ANTHROPIC_API_KEY, LANGFUSE_*, …). */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** The REST fast path (rest/fast/); on unless turned off. */
  restFastPath?: boolean;
  /** The mail catcher's port; `[inbucket] port` (54324) by default, a free one (0) when the API port is. */
  mailPort?: number;
  /**
   * Overrides of `[auth.rate_limit]` and of GoTrue's windows (5 minutes, 1 hour): the shared test
   * stack sets generous limits, a test of the limits tight ones with a short window.
   */
  authRateLimits?: Partial<RateLimitSettings>;
  /**
   * Called if the stack cannot go on: the embedded Postgres died and could not be restarted within its
   * bounded retries. `npm start` then shuts down with an error; meanwhile the gateway answers 503.
   */
  onFatal?: (err: Error) => void;
};

export type StackInfo = {
  apiUrl: string;
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Supabase's current API keys: `sb_publishable_…` (acts as anon) and `sb_secret_…` (acts as service_role). */
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  functionsUrl: string;
  realtimeUrl: string;
  llmUrl: string;
  /** The mail catcher (web page, and Mailpit's API under /api/v1); absent with `[inbucket] enabled = false`. */
  mailUrl?: string;
  /** The mail catcher's SMTP listener (`[inbucket] smtp_port`, 54325), for what the app sends itself. */
  smtpUrl?: string;
  dataDir: string;
};

export type Stack = StackInfo & {
  fresh: boolean;
  stop(): Promise<void>;
  /** Last resort when stop() overruns: SIGKILL to every child process still recorded (Postgres, Deno). */
  killChildren(): void;
};

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const root = opts.root ?? repoRoot;
  const dataDir = path.resolve(opts.dataDir ?? path.join(root, ".data"));
  const log = opts.log ?? createLogger("local-supabase");
  const host = opts.host ?? "127.0.0.1";
  const release = acquireLock(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [release];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  const children = new ChildRegistry(dataDir);
  try {
    // A previous run on this data dir that was killed (kill -9, a crash) left its lock, which we now hold,
    // and perhaps processes its pipe watch has not ended yet: stop them before starting ours.
    await children.reapLeftovers(log);
    // Auth's settings first: `[auth] jwt_secret` and `signing_keys_path` decide the project's keys.
    const authConfig = readAuthConfig(root);
    const keys = await deriveKeys(opts.jwtSecret ?? authConfig.jwtSecret ?? loadOrCreateSecret(dataDir), loadOrCreateSigningKeys(dataDir, authConfig.signingKeysPath));

    // Created once the connection string is known; Postgres's supervisor reports to it from the start.
    let database: DatabaseStatus | null = null;
    let db: DatabaseHandle;
    if (opts.databaseUrl) {
      db = { url: opts.databaseUrl, embedded: false, stop: async () => {} };
      log.info("using the Postgres at DATABASE_URL");
    } else {
      assertClusterMajor(path.join(dataDir, "postgres"), dataDir, embeddedPostgresMajor());
      db = await startEmbeddedPostgres(dataDir, opts.dbPort ?? 54322, log.child("postgres"), {
        children,
        status: { down: (reason) => database?.down(reason), up: () => database?.up() },
        onGiveUp: (err) => (opts.onFatal ?? (() => undefined))(err),
      });
      log.info(`postgres ready on port ${opts.dbPort ?? 54322}`);
    }
    cleanups.splice(1, 0, () => db.stop());
    database = new DatabaseStatus(pgConnectionString(db), log.child("db"));
    const status = database;
    cleanups.push(() => status.close());

    const sql = postgres(db.url, { onnotice: () => {}, max: 5, ...postgresJsTarget(db) });
    cleanups.push(() => sql.end({ timeout: 5 }));

    const fresh = await bootstrap(sql);
    const apiPortWanted = opts.apiPort ?? 54321;
    const timeouts = new StatementTimeouts(sql);
    const api = readApiConfig(root);
    // Auth's emails go to the local mail catcher, and count against the email rate limit.
    const authLimits = new AuthLimits({ ...authConfig.rateLimit, windowMs: FIVE_MINUTES, longWindowMs: ONE_HOUR, ...opts.authRateLimits });
    const inbucket = readInbucketConfig(root);
    const mail = inbucket.enabled ? await startMailCatcher({ host, port: opts.mailPort ?? (opts.apiPort === 0 ? 0 : inbucket.port), log: log.child("mail") }) : null;
    if (mail) cleanups.push(() => mail.close());
    // The app's own emails (alerts) arrive over SMTP, into the same box.
    const smtp = mail ? await startSmtpCatcher({ host, port: opts.mailPort === 0 || opts.apiPort === 0 ? 0 : inbucket.smtp_port, store: mail.store, log: log.child("smtp") }) : null;
    if (smtp) cleanups.push(() => smtp.close());
    const emailDriver = new AuthEmailDriver(mail ? catcherDriver(mail.store) : logDriver(log.child("mail")), authConfig.siteUrl, authLimits);
    const app = await createRestAuth({
      databaseUrl: db.url,
      socket: postgresJsTarget(db),
      jwtSecret: keys.jwtSecret,
      auth: authConfig,
      emailDriver,
      log,
      statementTimeout: (role) => timeouts.for(role),
      api,
      dbSettings: (name) => timeouts.pgrstSetting(name),
    });
    cleanups.push(() => closeLiteConnection(app.connection));
    await app.ensureSystemSchema();

    const drifted = await changedMigrations(sql, root);
    const driftNote = drifted.length ? driftAdvice(drifted, opts.databaseUrl ? null : dataDir) : null;
    if (driftNote) log.warn(driftNote);
    try {
      await migrate(app, root, log.child("migrate"));
    } catch (err) {
      // A later migration failing on an edited earlier one is the usual way drift shows; say so.
      if (driftNote) throw new Error(`${(err as Error).message}\n${driftNote}`, { cause: err });
      throw err;
    }
    const seed = seedSql(root);
    if (seed && (await needsSeed(sql))) {
      log.info("fresh database: applying supabase/seed.sql");
      await sql.begin(async (tx) => {
        await tx.unsafe(seed);
        await tx`insert into supabase_migrations.seed_files (path, hash) values ('supabase/seed.sql', md5(${seed}))`;
      });
    }
    // After the migrations, which may set a role's timeout of their own.
    await timeouts.reload();
    await app.connection.introspect({ useCache: false });
    // lite "provisions" RLS on its first request by granting ALL on every table of every schema with an
    // RLS table to anon, authenticated and service_role: on every start, undoing every revoke the
    // migrations made (a restart once handed service-only functions and tables to anon). The roles are
    // the bootstrap's and the grants the migrations'; lite is told its context is ready without that.
    skipLiteGrants(app.connection);
    // lite's provisioning (above) installs its own auth.uid(), which reads only `request.jwt.claim.sub`;
    // GoTrue's reads `request.jwt.claims` too, which Realtime's authorization sets. Ours goes last.
    await runSqlFile(sql, path.join(bootstrapDir, "20-auth-helpers.sql"));
    // GoTrue's MFA tables, which lite's auth schema lacks (auth/mfa.ts).
    await runSqlFile(sql, path.join(bootstrapDir, "21-auth-schema.sql"));
    // From here on, schema changes (a table made from psql, a test's own) reach lite as PostgREST's do.
    const unlisten = await listenPgrst(pgConnectionString(db), { schema: () => app.connection.introspect({ useCache: false }), config: () => timeouts.reload() }, log.child("rest"));
    cleanups.push(() => unlisten());

    const versions = await readVersions(sql);
    const apiUrlFor = (port: number) => `http://${host}:${port}`;
    // Functions are told the gateway URL before it listens; with port 0 (tests) we patch it after listen.
    const functionEnv: Record<string, string> = {
      ...(Object.fromEntries(Object.entries({ ...process.env, ...(opts.env ?? {}) }).filter(([, v]) => v !== undefined)) as Record<string, string>),
      SUPABASE_URL: apiUrlFor(apiPortWanted),
      SUPABASE_ANON_KEY: keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
      // As hosted Functions get them: JSON objects of named keys.
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
      SUPABASE_DB_URL: db.url,
      LOCAL_SUPABASE_DATA_DIR: dataDir,
    };

    const auth = createAuthGateway({ app, sql, keys, config: authConfig, limits: authLimits, mailer: emailDriver });
    const deps: GatewayDeps = { app, sql, keys, root, functionEnv, log, versions, auth, database: status, children };
    if (opts.restFastPath !== false) {
      const fast = new FastRest(pgConnectionString(db), log.child("rest-fast"), { timeouts, maxRows: api.maxRows, onConnectionLost: () => void status.check() });
      await fast.start();
      cleanups.push(() => fast.close());
      deps.fastRest = fast;
    }
    const realtime = await optionalModule<{ createRealtimeServer: (o: unknown) => NonNullable<GatewayDeps["realtime"]> & { start(): Promise<void>; close(): Promise<void> } }>("./realtime/index.ts");
    if (realtime) {
      const rt = realtime.createRealtimeServer({ databaseUrl: db.url, jwtSecret: keys.jwtSecret, log: log.child("realtime") });
      await rt.start();
      cleanups.push(() => rt.close());
      deps.realtime = rt;
    }
    const llm = await optionalModule<{ createDevLlm: (o: unknown) => NonNullable<GatewayDeps["llm"]> & { close?(): Promise<void> } }>("./llm/index.ts");
    if (llm) {
      const llmLog = log.child("llm");
      const l = llm.createDevLlm({ log: llmLog, jwtSecret: keys.jwtSecret, knowledge: opts.llmKnowledge?.(sql, llmLog) });
      deps.llm = l;
      if (l.close) cleanups.push(() => l.close!());
    }

    const gateway = createGateway(deps);
    const port = await gateway.listen(apiPortWanted, host);
    functionEnv.SUPABASE_URL = apiUrlFor(port);
    emailDriver.apiUrl = apiUrlFor(port);
    cleanups.push(() => gateway.close());

    const apiUrl = apiUrlFor(port);
    const info: StackInfo = {
      apiUrl,
      dbUrl: db.url,
      anonKey: keys.anonKey,
      serviceRoleKey: keys.serviceRoleKey,
      publishableKey: keys.publishableKey,
      secretKey: keys.secretKey,
      jwtSecret: keys.jwtSecret,
      functionsUrl: `${apiUrl}/functions/v1`,
      realtimeUrl: `${apiUrl.replace(/^http/, "ws")}/realtime/v1`,
      llmUrl: `${apiUrl}/llm`,
      ...(mail ? { mailUrl: mail.url } : {}),
      ...(smtp ? { smtpUrl: smtp.url } : {}),
      dataDir,
    };
    fs.writeFileSync(path.join(dataDir, "local-supabase.json"), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
    return { ...info, fresh, stop, killChildren: () => children.killAll() };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

const bootstrapDir = path.join(path.dirname(new URL(import.meta.url).pathname), "bootstrap");

async function runSqlFile(sql: postgres.Sql, file: string) {
  await sql.unsafe(fs.readFileSync(file, "utf8"));
}

/** The Supabase CLI records applied seed files in supabase_migrations.seed_files; so do we, so a restart never re-seeds. */
async function needsSeed(sql: postgres.Sql): Promise<boolean> {
  await sql`create table if not exists supabase_migrations.seed_files (path text primary key, hash text not null)`;
  const rows = await sql`select 1 from supabase_migrations.seed_files where path = 'supabase/seed.sql'`;
  return rows.length === 0;
}

/** Platform objects (roles, realtime schema); returns whether the database has never been migrated. */
async function bootstrap(sql: postgres.Sql): Promise<boolean> {
  // Two starts racing on one database (tests, a second gateway on DATABASE_URL) serialize here.
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(54321)`;
    await tx.unsafe(fs.readFileSync(path.join(bootstrapDir, "00-roles.sql"), "utf8"));
    await tx.unsafe(fs.readFileSync(path.join(bootstrapDir, "10-realtime.sql"), "utf8"));
    await tx.unsafe(fs.readFileSync(path.join(bootstrapDir, "15-schema-watch.sql"), "utf8"));
  });
  const [row] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
  if (!row?.exists) return true;
  const [count] = await sql`select count(*)::int as n from supabase_migrations.schema_migrations`;
  return (count?.n ?? 0) === 0;
}

/**
 * lite 0.10's PostgresConnection keeps `rlsState` ("unknown" until ensureRlsContext() has granted). With
 * it set to "active", lite applies each request's JWT context as usual and grants nothing. If a lite
 * upgrade renames the field, the privileges suite (tests/platform/privileges.db.test.ts) fails.
 */
function skipLiteGrants(connection: unknown) {
  const c = connection as { rlsState?: string };
  if (c.rlsState !== "unknown") throw new Error(`@supabase/lite changed: rlsState is ${String(c.rlsState)}; check what ensureRlsContext() grants before upgrading`);
  c.rlsState = "active";
}

function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, "jwt-secret");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const secret = newJwtSecret();
  fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}

async function optionalModule<T>(rel: string): Promise<T | null> {
  const file = new URL(rel, import.meta.url);
  if (!fs.existsSync(file)) return null;
  return (await import(file.href)) as T;
}

async function readVersions(sql: postgres.Sql): Promise<Record<string, string>> {
  const [pg] = await sql`show server_version`;
  let deno = "unknown";
  try {
    deno = execFileSync(denoBinary(), ["--version"], { encoding: "utf8" }).split("\n")[0]!.replace(/^deno /, "").split(" ")[0]!;
  } catch {
    /* reported as unknown */
  }
  return {
    node: process.versions.node,
    postgres: String(pg?.server_version ?? "unknown"),
    deno,
    "@supabase/lite": packageVersion("@supabase/lite"),
  };
}

/** lite's `exports` hide its package.json from resolution, so look it up in node_modules directly. */
function packageVersion(name: string): string {
  for (let dir = path.dirname(new URL(import.meta.url).pathname); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", name, "package.json");
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    if (dir === path.dirname(dir)) return "unknown";
  }
}

export type { ApiKeys };
