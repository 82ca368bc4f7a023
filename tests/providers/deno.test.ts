import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denoBinary } from "@review/local-supabase/functions/runner";
import { openAiJson, openAiSse, providerServer, type ProviderServer } from "./servers.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
let server: ProviderServer;
let denoDir: string;
beforeAll(async () => {
  server = await providerServer((req) =>
    req.json.stream ? { sse: openAiSse(req, ["Open ", "Billing."], "gpt-4o-mini-2024-07-18", { input: 1000, output: 500 }) } : { status: 200, json: openAiJson("Open Billing.", "gpt-4o-mini-2024-07-18", { input: 1000, output: 500 }) },
  );
  denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "providers-deno-"));
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(denoDir, { recursive: true, force: true });
});

describe("providers under Deno, with the Edge Functions' import map", () => {
  it("completes and streams through the openai SDK, and the functions refuse with llm_not_configured on a hosted project without keys", { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(
      denoBinary(),
      ["run", "--quiet", "--no-prompt", "--node-modules-dir=manual", `--config=${path.join(root, "edge-functions", "deno.json")}`, "--allow-net", "--allow-env", `--allow-read=${root}`, "--allow-sys", path.join(import.meta.dirname, "deno-probe.ts"), `${server.url}/v1`],
      { cwd: path.join(root, "edge-functions"), env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DENO_DIR: denoDir }, timeout: 110_000 },
    );
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(out.deno).toMatch(/^\d+\.\d+/);
    // gpt-4o-mini: 1000 × $0.15 + 500 × $0.60 per 1M
    expect(out.completed).toEqual({ text: "Open Billing.", costUsd: 0.00045 });
    expect(out.deltas).toEqual(["Open ", "Billing."]);
    expect(out.streamed).toMatchObject({ text: "Open Billing.", costUsd: 0.00045, usage: { inputTokens: 1000, outputTokens: 500 } });
    expect(out.rows.map((r: { model: string; status: string }) => [r.model, r.status])).toEqual([
      ["openai:gpt-4o-mini", "ok"],
      ["openai:gpt-4o-mini", "ok"],
    ]);
    expect(server.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ["/v1/chat/completions", "Bearer sk-deno"],
      ["/v1/chat/completions", "Bearer sk-deno"],
    ]);
    expect(out.configured).toBe(false);
    expect(out.refused).toMatchObject({ code: "llm_not_configured", status: 503 });
    expect(out.refused.message).toMatch(/only a local stack has/);
    // The refused call is still logged, and nothing went to https://abcd.supabase.co/llm.
    expect(out.inserted).toEqual([{ table: "ai_requests", row: expect.objectContaining({ status: "error", model: "offline-strong-1", error: expect.stringMatching(/^llm_not_configured/) }) }]);
  });
});
