import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createLogger, startStack, type Stack } from "@review/local-supabase";

/**
 * tests/global-setup.ts for the prompt-studio tests alone: a fresh data dir per run (so an edited
 * migration is always applied, and parallel runs never share a database), removed afterwards.
 * helpers/stack.ts follows TEST_STACK_FILE.
 */
let stack: Stack | undefined;
let dataDir: string | undefined;

export async function setup() {
  const runs = path.resolve(import.meta.dirname, "..", "..", ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(runs, "prompts-"));
  stack = await startStack({
    dataDir,
    apiPort: 0,
    dbPort: await freePort(),
    log: createLogger("test-prompts-stack", "warn"),
    // As the shared setup: a limit high enough that several optimizer sessions never wait.
    env: { LLM_RATE_LIMIT_PER_MINUTE: process.env.LLM_RATE_LIMIT_PER_MINUTE ?? "600" },
  });
  process.env.TEST_STACK_FILE = path.join(dataDir, "local-supabase.json");
}

export async function teardown() {
  await stack?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
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
