import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseWorkerEnv } from "./env.ts";
import { createLogger } from "./log.ts";
import { startWorker } from "./index.ts";

/**
 * `npm run worker`. Without DATABASE_URL it uses the embedded default's stack file (written by
 * `npm start`), so the two commands work together with no configuration.
 */
function defaults(): Record<string, string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const file = path.join(process.env.LOCAL_SUPABASE_DATA_DIR ?? path.join(root, ".data"), "local-supabase.json");
  if (process.env.DATABASE_URL || !fs.existsSync(file)) return {};
  const info = JSON.parse(fs.readFileSync(file, "utf8")) as { dbUrl?: string; apiUrl?: string; serviceRoleKey?: string; smtpUrl?: string };
  return Object.fromEntries(
    Object.entries({ DATABASE_URL: info.dbUrl, SUPABASE_URL: info.apiUrl, SUPABASE_SERVICE_ROLE_KEY: info.serviceRoleKey, SMTP_URL: info.smtpUrl }).filter(([, v]) => v),
  ) as Record<string, string>;
}

async function main() {
  let env;
  try {
    env = parseWorkerEnv({ ...defaults(), ...process.env });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n(Start the embedded default with \`npm start\`, or set DATABASE_URL.)\n`);
    process.exit(2);
  }
  const log = createLogger("worker", env.LOG_LEVEL);
  const worker = await startWorker({ env, log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing running jobs (up to ${env.WORKER_SHUTDOWN_GRACE_MS} ms), then releasing the rest`);
    worker.stop().then(
      () => process.exit(0),
      (err) => {
        log.error("shutdown failed", { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

void main().catch((err) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
