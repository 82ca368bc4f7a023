import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import postgres from "postgres";
import { createLogger, startStack, type Stack } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { startWebServer, type WebServer } from "../../web/dev-server.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = path.join(root, ".data", "e2e");
export const e2eFile = path.join(dataDir, "e2e.json");

let stack: Stack | undefined;
let worker: WorkerHandle | undefined;
let web: WebServer | undefined;

/**
 * The whole product for the browser scenarios: the embedded stack (its own data dir), a worker, and
 * the built SPA served by `vite preview` — what a user gets, not a dev server.
 */
export async function setup() {
  fs.mkdirSync(dataDir, { recursive: true });
  stack = await startStack({
    dataDir,
    apiPort: 0,
    dbPort: await freePort(),
    log: createLogger("e2e-stack", "warn"),
    env: { LLM_RATE_LIMIT_PER_MINUTE: "600" },
  });
  await ensureAuthHelpers(stack.dbUrl);
  worker = await startWorker({
    env: {
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      WORKER_SCHEDULER: "false",
      WORKER_POLL_MS: "200",
      LOG_LEVEL: "warn",
    },
  });
  web = await startWebServer({ apiUrl: stack.apiUrl, anonKey: stack.anonKey, port: 0, mode: "preview", rebuild: process.env.E2E_REBUILD !== "0" });
  fs.writeFileSync(e2eFile, JSON.stringify({ webUrl: web.url }, null, 2));
  process.env.TEST_STACK_FILE = path.join(dataDir, "local-supabase.json");
  process.env.E2E_FILE = e2eFile;
}

export async function teardown() {
  await web?.close().catch(() => undefined);
  await worker?.stop(2000).catch(() => undefined);
  await stack?.stop();
}

/**
 * Realtime Authorization evaluates policies with `request.jwt.claims` only; @supabase/lite can leave
 * its own auth.uid() (reading `request.jwt.claim.sub` alone) in place of the bootstrap's, and then
 * every private channel is refused. Until local-supabase pins its helpers, re-apply them here so
 * the scenarios exercise the app rather than that bug (reported to the lead).
 */
async function ensureAuthHelpers(dbUrl: string) {
  const sql = postgres(dbUrl, { onnotice: () => {}, max: 1 });
  try {
    const [row] = await sql<{ ok: boolean }[]>`
      select pg_get_functiondef('auth.uid'::regproc) like '%request.jwt.claims%' as ok`;
    if (!row?.ok) {
      console.warn("[e2e] auth.uid() ignores request.jwt.claims: re-applying local-supabase/src/bootstrap/20-auth-helpers.sql");
      await sql.unsafe(fs.readFileSync(path.join(root, "local-supabase/src/bootstrap/20-auth-helpers.sql"), "utf8"));
    }
  } finally {
    await sql.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}
