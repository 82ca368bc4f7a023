import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createLogger, startStack, type Stack } from "@review/local-supabase";

/** tests/global-setup.ts in its own data dir (.data/test-prompts); helpers/stack.ts follows TEST_STACK_FILE. */
let stack: Stack | undefined;
const dataDir = path.resolve(import.meta.dirname, "..", "..", ".data", "test-prompts");

export async function setup() {
  fs.mkdirSync(dataDir, { recursive: true });
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
