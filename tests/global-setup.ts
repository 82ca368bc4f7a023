import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createLogger, startStack, type Stack } from "@review/local-supabase";

let stack: Stack | undefined;
export const stackFile = path.resolve(import.meta.dirname, "..", ".data", "test", "local-supabase.json");

/** Starts Postgres + the gateway once for the run on free ports, in .data/test (never the dev data). */
export async function setup() {
  const dataDir = path.dirname(stackFile);
  fs.mkdirSync(dataDir, { recursive: true });
  stack = await startStack({
    dataDir,
    apiPort: 0,
    dbPort: await freePort(),
    log: createLogger("test-stack", "warn"),
    // Functions see a test-only LLM limit so the rate-limit test does not wait for minutes.
    env: { LLM_RATE_LIMIT_PER_MINUTE: process.env.LLM_RATE_LIMIT_PER_MINUTE ?? "600" },
  });
  process.env.TEST_STACK_FILE = stackFile;
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
