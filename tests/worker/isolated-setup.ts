import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createLogger, startStack, type Stack } from "@review/local-supabase";

/** tests/global-setup.ts in its own data dir (.data/test-worker); helpers/stack.ts follows TEST_STACK_FILE. */
let stack: Stack | undefined;
const dataDir = path.resolve(import.meta.dirname, "..", "..", ".data", "test-worker");

export async function setup() {
  // A fresh database per run: the worker's tests assert on queue-wide state and on migrations just edited.
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("test-worker-stack", "warn") });
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
