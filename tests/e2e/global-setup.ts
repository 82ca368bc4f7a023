import fs from "node:fs";
import path from "node:path";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { startWorker, type WorkerHandle } from "@review/worker";
import { GENEROUS_AUTH_LIMITS } from "../helpers/own-stack.ts";
import { productKnowledge } from "../../dev/llm-knowledge.ts";
import { pathToFileURL } from "node:url";
import { OFFLINE_MODELS } from "@review/shared/llm/offline-protocol";
import { startLoopbackOpenAi } from "./loopback-openai.ts";
import type { ProviderServer } from "../providers/servers.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
let dataDir = "";

let stack: Stack | undefined;
let worker: WorkerHandle | undefined;
type WebServer = { url: string; close(): Promise<void> };
type StartWebServer = (o: { apiUrl: string; anonKey: string; port: number; strictPort?: boolean; mode: "dev" | "preview"; rebuild?: boolean }) => Promise<WebServer>;
let web: WebServer | undefined;
let openai: ProviderServer | undefined;

/**
 * The whole product for the browser scenarios: the embedded stack (its own data dir), a worker, and
 * the built SPA served by `vite preview` — what a user gets, not a dev server.
 */
export async function setup() {
  // A fresh database per run, like tests/global-setup.ts: no state from an earlier run or schema.
  const runs = path.join(root, ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(runs, "e2e-"));
  const e2eFile = path.join(dataDir, "e2e.json");
  stack = await startStack({
    llmKnowledge: productKnowledge,
    dataDir,
    apiPort: 0,
    dbPort: await freePort(),
    log: createLogger("e2e-stack", "warn"),
    // The scenarios sign many users in, all from 127.0.0.1; Auth's limits are tested on a stack of their own.
    authRateLimits: GENEROUS_AUTH_LIMITS,
  });
  // Only models named openai:… go to it. A configured OpenAI would also become the tiers' default
  // provider, so the tiers are pinned to the dev LLM's models, as a laptop without keys has them.
  openai = await startLoopbackOpenAi();
  worker = await startWorker({
    env: {
      OPENAI_API_KEY: "sk-loopback",
      OPENAI_BASE_URL: `${openai.url}/v1`,
      LLM_FAST_MODEL: OFFLINE_MODELS.fast,
      LLM_STRONG_MODEL: OFFLINE_MODELS.strong,
      DATABASE_URL: stack.dbUrl,
      SUPABASE_URL: stack.apiUrl,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      SMTP_URL: stack.smtpUrl,
      WORKER_SCHEDULER: "false",
      WORKER_POLL_MS: "200",
      LOG_LEVEL: "warn",
    },
  });
  // Loaded by path (as dev/start.ts does): web/ is outside this project's tsconfig.
  const { startWebServer } = (await import(pathToFileURL(path.join(root, "web/dev-server.ts")).href)) as { startWebServer: StartWebServer };
  web = await startWebServer({ apiUrl: stack.apiUrl, anonKey: stack.anonKey, port: await freePort(), strictPort: true, mode: "preview", rebuild: process.env.E2E_REBUILD !== "0" });
  fs.writeFileSync(e2eFile, JSON.stringify({ webUrl: web.url }, null, 2));
  process.env.TEST_STACK_FILE = path.join(dataDir, "local-supabase.json");
  process.env.E2E_FILE = e2eFile;
}

export async function teardown() {
  await web?.close().catch(() => undefined);
  await worker?.stop(2000).catch(() => undefined);
  await openai?.close();
  await stack?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

