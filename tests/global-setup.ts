import fs from "node:fs";
import path from "node:path";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { GENEROUS_AUTH_LIMITS } from "./helpers/own-stack.ts";
import { productKnowledge } from "../dev/llm-knowledge.ts";

let stack: Stack | undefined;
let dataDir: string | undefined;

/**
 * Starts Postgres + the gateway once for the run, on free ports, in a data dir of its own (never the
 * dev data, never another run's): every run migrates and seeds a fresh database, and runs in parallel
 * (two terminals, two engineers) cannot step on each other.
 */
export async function setup() {
  const runs = path.resolve(import.meta.dirname, "..", ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(runs, "run-"));
  stack = await startStack({
    llmKnowledge: productKnowledge,
    dataDir,
    apiPort: 0,
    dbPort: await freePort(),
    log: createLogger("test-stack", "warn"),
    // Every suite signs users in from 127.0.0.1; Auth's own limits are tested on a stack of their own.
    authRateLimits: GENEROUS_AUTH_LIMITS,
  });
  process.env.TEST_STACK_FILE = path.join(dataDir, "local-supabase.json");
}

export async function teardown() {
  await stack?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

