import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { denoBinary } from "@review/local-supabase/functions/runner";
import type { StackInfo } from "@review/local-supabase";
import { getStack, waitFor } from "../helpers/stack.ts";
import { loopback } from "./loopback.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
let stack: StackInfo;
beforeAll(async () => {
  stack = await getStack();
});

describe("shared/src/llm under Deno", () => {
  it("runs the client (Anthropic SDK + langfuse) with the Edge Functions' config", { timeout: 90_000 }, async () => {
    const langfuse = await loopback(() => ({ status: 207, body: { successes: [], errors: [] } }));
    try {
      const { stdout } = await promisify(execFile)(
        denoBinary(),
        ["run", "--quiet", "--no-prompt", "--node-modules-dir=manual", `--config=${path.join(root, "edge-functions", "deno.json")}`, "--allow-net", "--allow-env", `--allow-read=${root}`, "--allow-sys", path.join(import.meta.dirname, "deno-probe.ts"), stack.llmUrl, langfuse.url, stack.serviceRoleKey],
        { cwd: path.join(root, "edge-functions"), env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DENO_DIR: path.join(stack.dataDir, "deno-cache") }, timeout: 80_000 },
      );
      const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { deno: string; servedModel: string; questions: string[]; rows: Array<{ status: string; trace_id: string }>; traceId: string };
      expect(out.deno).toMatch(/^\d+\.\d+/);
      expect(out.servedModel).toContain("offline");
      expect(out.questions).toHaveLength(2);
      expect(out.rows).toEqual([expect.objectContaining({ status: "ok", trace_id: out.traceId })]);
      const types = await waitFor(() => {
        const t = langfuse.requests.flatMap((q) => (JSON.parse(q.body) as { batch: Array<{ type: string }> }).batch.map((e) => e.type));
        return t.includes("generation-update") ? t : null;
      });
      expect(types).toEqual(expect.arrayContaining(["trace-create", "generation-create", "generation-update"]));
    } finally {
      await langfuse.close();
    }
  });
});
