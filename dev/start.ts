/**
 * `npm start`: composes the product on one machine. The emulator (local-supabase: Postgres, Auth, REST,
 * Realtime, Functions, mail, dev LLM) comes up first, then the worker and the web app against it, as
 * they would run against a hosted project. local-supabase itself knows nothing of either.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readEnv, repoRoot } from "../local-supabase/src/env.ts";
import { AlreadyRunningError } from "../local-supabase/src/lock.ts";
import { createLogger } from "../local-supabase/src/log.ts";
import { startStack } from "../local-supabase/src/stack.ts";
import { startWorker } from "../worker/src/index.ts";
import { productKnowledge } from "./llm-knowledge.ts";

const env = readEnv();
const log = createLogger("local-supabase", env.LOG_LEVEL);
const t0 = performance.now();

// Signals are handled from the first moment: a Ctrl-C while Postgres, the gateway or the SPA is still
// starting waits for that step, then stops everything, instead of killing Node and orphaning Postgres.
let signalled: string | null = null;
let shutdown: ((signal: string, code?: number) => Promise<void>) | null = null;
let fatal: Error | null = null;
// SIGHUP: the terminal was closed; stop as cleanly as for a Ctrl-C.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (shutdown) return void shutdown(signal);
    if (!signalled) log.info(`${signal}: stopping as soon as startup finishes`);
    signalled = signal;
  });
}

/** Everything stops within this; whatever still runs then is killed (Ctrl-C must never hang). */
const SHUTDOWN_DEADLINE_MS = 9_000;

try {
  const stack = await startStack({
    llmKnowledge: productKnowledge,
    dataDir: env.LOCAL_SUPABASE_DATA_DIR ?? path.join(repoRoot, ".data"),
    apiPort: env.LOCAL_SUPABASE_API_PORT,
    dbPort: env.LOCAL_SUPABASE_DB_PORT,
    mailPort: env.LOCAL_SUPABASE_MAIL_PORT,
    host: env.LOCAL_SUPABASE_HOST,
    databaseUrl: env.DATABASE_URL,
    jwtSecret: env.JWT_SECRET,
    restFastPath: env.LOCAL_SUPABASE_REST_FAST === "on",
    log,
    // Postgres died and its restarts failed: stop, saying so, rather than serve 503s forever.
    onFatal: (err) => {
      fatal = err;
      if (shutdown) void shutdown("Postgres could not be restarted", 1);
    },
  });
  const extras = await startApps(stack).catch(async (err) => {
    await stack.stop();
    throw err;
  });
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`
Review workspace is up (${stack.fresh ? "fresh database, seeded" : "existing data"}) in ${ms} ms.

         API URL: ${stack.apiUrl}
     GraphQL URL: (not provided by the embedded default)
  Functions URL: ${stack.functionsUrl}
    Realtime URL: ${stack.realtimeUrl}
     Dev LLM URL: ${stack.llmUrl}/v1/messages
${stack.mailUrl ? `     Mailpit URL: ${stack.mailUrl}   <- sign-up confirmations and every other email\n` : ""}          DB URL: ${stack.dbUrl}
      JWT secret: ${stack.jwtSecret}
 Publishable key: ${stack.publishableKey}
      Secret key: ${stack.secretKey}
        anon key: ${stack.anonKey}
service_role key: ${stack.serviceRoleKey}
        JWKS URL: ${stack.apiUrl}/auth/v1/.well-known/jwks.json

${extras.lines.join("\n")}
Written to ${path.join(stack.dataDir, "local-supabase.json")}. Demo logins are in README.md. Ctrl-C stops everything.
`);
  let stopping = false;
  shutdown = async (signal: string, code = 0) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait.
      log.warn(`${signal} again: killing what is still running`);
      stack.killChildren();
      process.exit(130);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    setTimeout(() => {
      log.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; killing what is still running`);
      stack.killChildren();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      for (const stopApp of extras.stops.reverse()) await stopApp();
      await stack.stop();
      log.info(code ? "stopped" : "stopped cleanly");
      process.exit(code);
    } catch (err) {
      log.error("shutdown failed", err);
      stack.killChildren();
      process.exit(1);
    }
  };
  if (fatal) await shutdown("Postgres could not be restarted", 1);
  else if (signalled) await shutdown(signalled);
} catch (err) {
  if (err instanceof AlreadyRunningError) {
    log.error(err.message);
    process.exit(3);
  }
  log.error("could not start", err);
  process.exit(1);
}

/**
 * The worker and the SPA, started in this process once the platform is up. Either can be turned off,
 * e.g. to run the worker elsewhere.
 */
async function startApps(stack: Awaited<ReturnType<typeof startStack>>) {
  const lines: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  if (process.env.LOCAL_SUPABASE_WORKER !== "off") {
    const worker = await startWorker({
      env: { SMTP_URL: stack.smtpUrl, ...process.env, DATABASE_URL: stack.dbUrl, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey },
    });
    stops.push(() => worker.stop());
    lines.push(`          Worker: running (${worker.workerId})`);
  }
  const webEntry = path.join(repoRoot, "web/dev-server.ts");
  if (process.env.LOCAL_SUPABASE_WEB !== "off" && fs.existsSync(webEntry)) {
    // Loaded by path: web/ is a Vite project outside the Node TypeScript projects.
    const { startWebServer } = (await import(pathToFileURL(webEntry).href)) as {
      startWebServer(o: { apiUrl: string; anonKey: string; port: number; mode: "dev" | "preview" }): Promise<{ url: string; close(): Promise<void> }>;
    };
    const web = await startWebServer({ apiUrl: stack.apiUrl, anonKey: stack.anonKey, port: Number(process.env.WEB_PORT ?? 5173), mode: "dev" });
    stops.push(() => web.close());
    lines.push(`          Web app: ${web.url}   <- open this`);
  }
  return { lines, stops };
}
