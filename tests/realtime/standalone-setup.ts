import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { createLogger } from "@review/local-supabase/log";
import { deriveKeys, newJwtSecret } from "@review/local-supabase/keys";
import { startEmbeddedPostgres, type DatabaseHandle } from "@review/local-supabase/postgres";
import { createRealtimeServer, type Limits, type RealtimeServer } from "@review/local-supabase/realtime/index";
import { freePort } from "@review/local-supabase";

/**
 * A stack with only Postgres (platform bootstrap applied) and the realtime server on a plain http
 * server, in a temp dir: `npx vitest run --config tests/realtime/vitest.config.ts` works without the
 * gateway. It writes the same stack file tests/helpers/stack.ts reads.
 */
let pg: DatabaseHandle | undefined;
let rt: RealtimeServer | undefined;
let server: http.Server | undefined;
let dir: string | undefined;

export async function setup() {
  const info = await startStandalone();
  process.env.TEST_STACK_FILE = info.file;
}

export async function startStandalone(opts: { limits?: Partial<Limits>; heartbeatTimeoutMs?: number } = {}) {
  const log = createLogger("rt-standalone", "warn");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rt-standalone-"));
  fs.chmodSync(dir, 0o755); // Postgres runs as the postgres user when we are root
  pg = await startEmbeddedPostgres(dir, await freePort(), log);
  await preparePlatformDatabase(pg.url);
  const keys = await deriveKeys(newJwtSecret());
  rt = createRealtimeServer({ databaseUrl: pg.url, jwtSecret: keys.jwtSecret, log: log.child("realtime"), ...opts });
  await rt.start();
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void rt!.handleHttp(req, res, Buffer.concat(chunks)).then((ok) => ok || res.writeHead(404).end()));
  });
  server.on("upgrade", (req, socket, head) => rt!.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const file = path.join(dir, "stack.json");
  const info = { apiUrl, dbUrl: pg.url, ...keys, realtimeUrl: `${apiUrl.replace("http", "ws")}/realtime/v1`, dataDir: dir };
  fs.writeFileSync(file, JSON.stringify(info));
  return { ...info, file };
}

export async function teardown() {
  await rt?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}


/**
 * Platform bootstrap and the project's migrations on a database without the gateway: roles,
 * publication, realtime schema, auth helpers, then every migration. Document access is widened to
 * any signed-in user (the generic store's rule) so that the Yjs tests exercise the sync and
 * persistence mechanics with minted users, on the real document functions (validation included).
 * Also used by tests that need a database of their own.
 */
export async function preparePlatformDatabase(url: string): Promise<void> {
  const sql = postgres(url, { onnotice: () => undefined, max: 1 });
  try {
    const boot = path.resolve(import.meta.dirname, "../../local-supabase/src/bootstrap");
    await sql.unsafe(fs.readFileSync(path.join(boot, "00-roles.sql"), "utf8"));
    // @supabase/lite provisions auth in the real stack; the migrations need the schema and the users
    // table with the columns their triggers read.
    await sql.unsafe(`create schema if not exists auth;
      create table if not exists auth.users (id uuid primary key, email text, email_confirmed_at timestamptz,
        raw_user_meta_data jsonb, deleted_at timestamptz, aud text, role text)`);
    await sql.unsafe(fs.readFileSync(path.join(boot, "10-realtime.sql"), "utf8"));
    await sql.unsafe(fs.readFileSync(path.join(boot, "20-auth-helpers.sql"), "utf8"));
    const dir = path.resolve(import.meta.dirname, "../../supabase/migrations");
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) await sql.unsafe(fs.readFileSync(path.join(dir, f), "utf8"));
    await sql.unsafe(`
      create or replace function public.can_access_doc(doc_id text) returns boolean
      language sql stable security definer set search_path = '' as $$ select (select auth.uid()) is not null and doc_id is not null $$;
      create or replace function public.doc_may_write(p_doc_id text) returns boolean
      language sql stable security definer set search_path = '' as $$ select private.is_privileged() or ((select auth.uid()) is not null and p_doc_id is not null) $$;`);
  } finally {
    await sql.end();
  }
}
