import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmClient, type AiRequestRow } from "@review/shared/llm/client";
import { providerForBaseUrl } from "@review/shared/llm/providers";
import { resolveModelRoute, type LlmEnv } from "@review/shared/llm/routing";
import type { WorkerLlm } from "../../llm.ts";
import { JobAbortedError, PermanentError } from "../../queue/types.ts";
import { buildDataset, type Example } from "./dataset.ts";
import { createOpenAiTrainer } from "./openai-trainer.ts";
import type { TrainInput } from "./trainer.ts";

/**
 * A loopback server speaking the OpenAI fine-tuning protocol: multipart file upload, job creation, a job
 * that moves validating_files → running → succeeded over successive polls with events, cancel, and chat
 * completions for the resulting model.
 */
type FtJob = { id: string; status: string; polls: number; model: string; training_file: string; validation_file: string; events: Array<{ id: string; created_at: number; message: string }> };
const files = new Map<string, string>();
const jobs = new Map<string, FtJob>();
const requests: string[] = [];
const chats: Array<{ model: string; messages: Array<{ role: string; content: string }> }> = [];
let server: http.Server;
let base: string;

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url!, "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== "Bearer sk-test") return send(res, 401, { error: { message: "bad key" } });
    if (req.method === "POST" && url.pathname === "/v1/files") {
      const form = await new Request("http://x", { method: "POST", headers: { "content-type": req.headers["content-type"]! }, body: raw }).formData();
      const file = form.get("file") as File;
      if (form.get("purpose") !== "fine-tune") return send(res, 400, { error: { message: "purpose must be fine-tune" } });
      const id = `file-${files.size + 1}`;
      files.set(id, await file.text());
      return send(res, 200, { id, object: "file", purpose: "fine-tune" });
    }
    if (req.method === "POST" && url.pathname === "/v1/fine_tuning/jobs") {
      const body = JSON.parse(raw.toString());
      if (!files.has(body.training_file)) return send(res, 400, { error: { message: "unknown training_file" } });
      const id = `ftjob-${jobs.size + 1}`;
      jobs.set(id, { id, status: "validating_files", polls: 0, model: body.model, training_file: body.training_file, validation_file: body.validation_file, events: [] });
      return send(res, 200, { id, status: "validating_files" });
    }
    const m = url.pathname.match(/^\/v1\/fine_tuning\/jobs\/([^/]+)(\/events|\/cancel)?$/);
    const job = m ? jobs.get(m[1]!) : undefined;
    if (m && !job) return send(res, 404, { error: { message: "no such job" } });
    if (job && m![2] === "/cancel") {
      job.status = "cancelled";
      return send(res, 200, { id: job.id, status: job.status });
    }
    if (job && m![2] === "/events") {
      const after = url.searchParams.get("after");
      const idx = after ? job.events.findIndex((e) => e.id === after) : -1;
      return send(res, 200, { data: job.events.slice(idx + 1).reverse(), has_more: false });
    }
    if (job) {
      // Each status poll advances the simulated training by one step.
      if (job.status !== "cancelled" && job.status !== "succeeded") {
        job.polls++;
        const step = job.polls;
        job.events.push({ id: `ev-${job.id}-${step}`, created_at: step, message: `Step ${step}/3: training loss ${(1 / step).toFixed(2)}` });
        job.status = step >= 3 ? "succeeded" : "running";
      }
      return send(res, 200, { id: job.id, status: job.status, fine_tuned_model: job.status === "succeeded" ? `ft:${job.model}:test::${job.id}` : null, trained_tokens: 1234 });
    }
    if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
      const body = JSON.parse(raw.toString());
      chats.push(body);
      const q = body.messages.at(-1).content as string;
      // The "trained" model answers from the uploaded training file.
      const train = [...files.values()][0]!.trim().split("\n").map((l) => JSON.parse(l).messages);
      const hit = train.find((msgs: Array<{ role: string; content: string }>) => msgs.find((x) => x.role === "user")!.content === q);
      const text = hit ? hit.find((x: { role: string }) => x.role === "assistant").content : "I do not know.";
      return send(res, 200, { id: "chatcmpl-1", object: "chat.completion", created: 1, model: body.model, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    }
    send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The worker's real LLM layer with the given provider environment, logging ai_requests rows in memory. */
function workerLlm(env: LlmEnv): WorkerLlm & { rows: AiRequestRow[] } {
  const route = resolveModelRoute(env);
  const rows: AiRequestRow[] = [];
  const client = createLlmClient({ providers: route.providers, maxRetries: 0, logRequest: async (r) => void rows.push(r) });
  return { route, rows, complete: ({ logOrgId, ...req }) => client.complete({ ...req, context: { ...req.context, orgId: logOrgId ?? null } }) };
}
const servingLlm = () => workerLlm({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: base });

const examples: Example[] = Array.from({ length: 10 }, (_, i) => ({ id: `id-${String(i).padStart(2, "0")}`, query: `Question ${i}?`, answer: `Answer ${i}.`, tags: [] }));

function input(over: Partial<TrainInput> = {}): TrainInput & { saved: unknown[]; events: string[] } {
  const ds = buildDataset(examples, [], { seed: 1, validationFraction: 0.2, minSamples: 2, maxTokensPerExample: 1000, systemPrompt: "" });
  const saved: unknown[] = [];
  const events: string[] = [];
  return {
    orgId: "org", jobId: "job-1", jobName: "Support v1", baseModel: "gpt-4o-mini-2024-07-18", systemPrompt: "",
    train: ds.train, validation: ds.validation, snapshot: ds.snapshot, hyperparameters: { n_epochs: 2 }, seed: 1,
    signal: new AbortController().signal, checkpoint: undefined,
    saveCheckpoint: async (s) => void saved.push(s),
    progress: async (_p, _s, message) => void events.push(message),
    saved, events, ...over,
  };
}

describe("OpenAI-compatible trainer (loopback)", () => {
  it("uploads files, creates the job, follows events to success, and evaluates the model through the serving path", async () => {
    const llm = servingLlm();
    const trainer = createOpenAiTrainer({ baseUrl: base, apiKey: "sk-test", pollMs: 1, llm });
    const inp = input({ systemPrompt: "You answer support questions." });
    const out = await trainer.train(inp);
    expect(out.provider).toBe("openai");
    expect(out.details).toMatchObject({
      kind: "openai",
      fineTunedModel: "ft:gpt-4o-mini-2024-07-18:test::ftjob-1",
      // The reference a prompt version pins and ai_requests records.
      servedModel: "openai:ft:gpt-4o-mini-2024-07-18:test::ftjob-1",
      trainedTokens: 1234,
    });
    expect(files.get("file-1")!.trim().split("\n")).toHaveLength(8);
    expect(inp.events.filter((e) => e.startsWith("Step "))).toEqual(["Step 1/3: training loss 1.00", "Step 2/3: training loss 0.50", "Step 3/3: training loss 0.33"]);
    expect(inp.saved.at(-1)).toMatchObject({ trainingFileId: "file-1", validationFileId: "file-2", remoteJobId: "ftjob-1", lastEventId: "ev-ftjob-1-3" });
    const gen = trainer.generator("model-id", out, "org-1");
    const r = await gen(inp.train[0]!.query, new AbortController().signal);
    expect(r.text).toBe(inp.train[0]!.answer);
    // Fine-tuned gpt-4o-mini inference: $0.30 in / $1.20 out per 1M tokens.
    expect(r).toMatchObject({ inputTokens: 10, outputTokens: 5, costUsd: 0.000009 });
    // Asked the way it was trained: the provider's own model id, with the training system message.
    expect(chats.at(-1)).toMatchObject({ model: "ft:gpt-4o-mini-2024-07-18:test::ftjob-1", messages: [{ role: "system", content: "You answer support questions." }, { role: "user", content: inp.train[0]!.query }] });
    expect(llm.rows).toEqual([
      expect.objectContaining({ org_id: "org-1", function_name: "worker:fine-tune-eval", model: "openai:ft:gpt-4o-mini-2024-07-18:test::ftjob-1", input_tokens: 10, output_tokens: 5, cost_usd: 0.000009, status: "ok" }),
    ]);
  });

  it("names the provider its base URL belongs to (a vLLM server here)", async () => {
    const llm = workerLlm({ VLLM_BASE_URL: base, VLLM_API_KEY: "sk-test" });
    const trainer = createOpenAiTrainer({ baseUrl: `${base}/`, apiKey: "sk-test", pollMs: 1, llm });
    const out = await trainer.train(input());
    expect(out.provider).toBe("vllm");
    expect(out.details.servedModel).toMatch(/^vllm:ft:gpt-4o-mini-2024-07-18:test::ftjob-\d+$/);
    const r = await trainer.generator("model-id", out, "org-1")("Question 1?", new AbortController().signal);
    // Self-hosted: no price, so the cost is unknown rather than 0.
    expect(r.costUsd).toBeNull();
    expect(providerForBaseUrl("https://api.openai.com/v1/", {})).toBe("openai");
    expect(providerForBaseUrl("https://api.together.xyz/v1", {})).toBe("together");
  });

  it("refuses before uploading anything when the worker could not serve the trained model", async () => {
    requests.length = 0;
    // A key for another provider only: nothing could serve what this API trains.
    const trainer = createOpenAiTrainer({ baseUrl: base, apiKey: "sk-test", pollMs: 1, llm: workerLlm({ ANTHROPIC_API_KEY: "sk-ant" }) });
    const err = await trainer.train(input()).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/OPENAI_BASE_URL/);
    const openai = createOpenAiTrainer({ baseUrl: "https://api.openai.com/v1", apiKey: "sk-test", pollMs: 1, llm: workerLlm({ ANTHROPIC_API_KEY: "sk-ant" }) });
    await expect(openai.train(input())).rejects.toThrow(/trains OpenAI models, but this worker cannot serve them: set OPENAI_API_KEY/);
    expect(requests).toEqual([]);
  });

  it("resumes from its checkpoint without uploading or creating again", async () => {
    const trainer = createOpenAiTrainer({ baseUrl: base, apiKey: "sk-test", pollMs: 1, llm: servingLlm() });
    const first = input();
    requests.length = 0;
    const ds = first.snapshot;
    jobs.set("ftjob-resume", { id: "ftjob-resume", status: "running", polls: 1, model: "m", training_file: "file-1", validation_file: "file-2", events: [] });
    const out = await trainer.train({ ...first, checkpoint: { contentHash: ds.contentHash, trainingFileId: "file-1", validationFileId: "file-2", remoteJobId: "ftjob-resume" } });
    expect(out.details.remoteJobId).toBe("ftjob-resume");
    expect(requests.some((r) => r === "POST /v1/files" || r === "POST /v1/fine_tuning/jobs")).toBe(false);
  });

  it("cancels the provider's job when our job is cancelled", async () => {
    const trainer = createOpenAiTrainer({ baseUrl: base, apiKey: "sk-test", pollMs: 60_000, llm: servingLlm() });
    const ac = new AbortController();
    const inp = input({ signal: ac.signal });
    const p = trainer.train(inp);
    const before = new Set(jobs.keys());
    const remote = await new Promise<FtJob>((r) => { const t = setInterval(() => { const j = [...jobs.values()].find((x) => !before.has(x.id) && x.status === "running"); if (j) { clearInterval(t); r(j); } }, 5); });
    ac.abort(new JobAbortedError("cancelled"));
    await expect(p).rejects.toBeInstanceOf(JobAbortedError);
    expect(remote.status).toBe("cancelled");
  });

  it("treats a refused request as permanent", async () => {
    const trainer = createOpenAiTrainer({ baseUrl: base, apiKey: "wrong", pollMs: 1, llm: servingLlm() });
    await expect(trainer.train(input())).rejects.toThrow(/refused POST \/files \(401\): bad key/);
  });
});
