import path from "node:path";
import { readEnv, repoRoot } from "./env.ts";
import { AlreadyRunningError } from "./lock.ts";
import { createLogger } from "./log.ts";
import { startStack } from "./stack.ts";

const env = readEnv();
const log = createLogger("local-supabase", env.LOG_LEVEL);
const t0 = performance.now();

try {
  const stack = await startStack({
    dataDir: env.LOCAL_SUPABASE_DATA_DIR ?? path.join(repoRoot, ".data"),
    apiPort: env.LOCAL_SUPABASE_API_PORT,
    dbPort: env.LOCAL_SUPABASE_DB_PORT,
    host: env.LOCAL_SUPABASE_HOST,
    databaseUrl: env.DATABASE_URL,
    jwtSecret: env.JWT_SECRET,
    log,
  });
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`
Review workspace is up (${stack.fresh ? "fresh database, seeded" : "existing data"}) in ${ms} ms.

         API URL: ${stack.apiUrl}
     GraphQL URL: (not provided by the embedded default)
  Functions URL: ${stack.functionsUrl}
    Realtime URL: ${stack.realtimeUrl}
     Dev LLM URL: ${stack.llmUrl}/v1/messages
          DB URL: ${stack.dbUrl}
      JWT secret: ${stack.jwtSecret}
        anon key: ${stack.anonKey}
service_role key: ${stack.serviceRoleKey}

Written to ${path.join(stack.dataDir, "local-supabase.json")}. Demo logins are in README.md. Ctrl-C stops everything.
`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    try {
      await stack.stop();
      log.info("stopped cleanly");
      process.exit(0);
    } catch (err) {
      log.error("shutdown failed", err);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
} catch (err) {
  if (err instanceof AlreadyRunningError) {
    log.error(err.message);
    process.exit(3);
  }
  log.error("could not start", err);
  process.exit(1);
}
