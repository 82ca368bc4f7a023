/**
 * Dev LLM: an Anthropic-Messages-compatible endpoint at /llm/v1 serving the offline model, so the app's
 * code path through @anthropic-ai/sdk is the same with or without an API key. The "API key" is a
 * credential of this project (auth.ts): the service role key (Edge Functions, the worker) or a user's
 * access token. Whose approved answers an answer may draw on follows from that identity, never from
 * request metadata alone.
 */
import type http from "node:http";
import { randomBytes } from "node:crypto";
import { OFFLINE_MODEL_SUFFIX, OFFLINE_MODELS, parseFineTunedModelId, parseOrgMetadataUserId } from "@review/shared/llm/offline-protocol";
import type { RetrievalIndex } from "@review/shared/llm/retrieval";
import { estimateTokens } from "@review/shared/llm/tokens";
import type { Logger } from "../log.ts";
import { authenticate, retrievalOrg, type Caller } from "./auth.ts";
import { generate, type Generation, type OfflineTier } from "./engine.ts";
import { ModelNotReadyError, NO_KNOWLEDGE, unavailableAs503, type KnowledgeSource } from "./knowledge.ts";
import { ApiError, contentText, errorBody, parseJson, parseMessagesRequest, sse, type MessagesRequest } from "./wire.ts";

const BASE_MODELS = [
  { id: OFFLINE_MODELS.strong, display_name: "Offline strong 1 (local, deterministic)", created_at: "2025-01-01T00:00:00Z" },
  { id: OFFLINE_MODELS.fast, display_name: "Offline fast 1 (local, deterministic)", created_at: "2025-01-01T00:00:00Z" },
];

const cors = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-api-key, anthropic-version, anthropic-beta, content-type, x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, x-stainless-arch, x-stainless-retry-count, x-stainless-timeout, anthropic-dangerous-direct-browser-access",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-expose-headers": "request-id, x-offline-source, x-offline-task, x-offline-example-id, x-offline-coverage, x-offline-instructions",
};

export function createDevLlm({ log, jwtSecret, knowledge = NO_KNOWLEDGE }: { log: Logger; jwtSecret: string; knowledge?: KnowledgeSource }) {
  const store = unavailableAs503(knowledge);
  // A visible typing effect in the SPA; 0 in tests via the env when speed matters.
  const streamDelayMs = Math.max(0, Number(process.env.LLM_DEV_STREAM_DELAY_MS ?? 4) || 0);
  const open = new Set<http.ServerResponse>();

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.replace(/\/+$/, "");
    if (!path.startsWith("/llm/v1/") && path !== "/llm/v1") return false;
    const requestId = `req_offline_${randomBytes(12).toString("hex")}`;
    try {
      if (req.method === "OPTIONS") {
        res.writeHead(204, cors);
        res.end();
        return true;
      }
      const caller = await authenticate(req, jwtSecret);
      if (path === "/llm/v1/messages" && req.method === "POST") await messages(req, res, body, requestId, caller);
      else if (path === "/llm/v1/messages/count_tokens" && req.method === "POST") countTokens(res, body, requestId);
      else if (path === "/llm/v1/models" && req.method === "GET") listModels(res, url, requestId);
      else if (path.startsWith("/llm/v1/models/") && req.method === "GET") await getModel(res, decodeURIComponent(path.slice("/llm/v1/models/".length)), requestId, caller);
      else throw new ApiError(404, "not_found_error", `Not found: ${req.method} ${url.pathname}`);
    } catch (err) {
      if (err instanceof ApiError) send(res, err.status, errorBody(err.type, err.message, requestId), requestId);
      else {
        log.error(`${req.method} ${url.pathname} failed`, err);
        send(res, 500, errorBody("api_error", "The offline model failed to answer; see the gateway log", requestId), requestId);
      }
    }
    return true;
  }

  type Resolved = { tier: OfflineTier; name: string; indexes: (orgId: string | null) => Promise<RetrievalIndex[]> };

  /**
   * A fine-tuned model is its organization's: it answers from that organization's approved answers.
   * Anyone else gets the answer Anthropic gives for a model one may not use (404), the same as for a
   * model that does not exist, so the answer does not tell whether the id exists.
   */
  async function fineTuned(model: string, modelId: string, caller: Caller, namedOrg: string | null) {
    let found;
    try {
      found = await store.modelIndex(modelId);
    } catch (err) {
      if (err instanceof ModelNotReadyError && (await mayUse(caller, err.orgId, namedOrg))) throw new ApiError(404, "not_found_error", `model: ${err.message}`);
      if (err instanceof ModelNotReadyError) found = null;
      else throw err;
    }
    if (!found || !(await mayUse(caller, found.orgId, namedOrg))) throw new ApiError(404, "not_found_error", `model: ${model}`);
    return found;
  }

  async function mayUse(caller: Caller, modelOrg: string | null, namedOrg: string | null): Promise<boolean> {
    // A request made for one organization never draws on another's model, whoever makes it.
    if (namedOrg && namedOrg !== modelOrg) return false;
    if (caller.kind === "service") return true;
    return modelOrg !== null && (await store.userOrgs(caller.userId)).includes(modelOrg);
  }

  async function resolveModel(model: string, caller: Caller, namedOrg: string | null): Promise<Resolved> {
    if (model === OFFLINE_MODELS.fast || model === OFFLINE_MODELS.strong) {
      return {
        tier: model === OFFLINE_MODELS.fast ? "fast" : "strong",
        name: model,
        indexes: async (orgId) => {
          const ix = orgId ? await store.orgIndex(orgId) : null;
          return ix ? [ix] : [];
        },
      };
    }
    const modelId = parseFineTunedModelId(model);
    if (modelId) {
      const { index } = await fineTuned(model, modelId, caller, namedOrg);
      // A fine-tuned model answers from what it was trained on (its own organization's answers).
      return { tier: "strong", name: model, indexes: async () => [index] };
    }
    throw new ApiError(404, "not_found_error", `model: ${model} (the local dev LLM serves ${OFFLINE_MODELS.fast}, ${OFFLINE_MODELS.strong} and offline-ft:<models.id>)`);
  }

  async function messages(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, requestId: string, caller: Caller) {
    const r = parseMessagesRequest(parseJson(body), { needsMaxTokens: true });
    const named = parseOrgMetadataUserId(r.metadata?.user_id ?? null)?.orgId ?? null;
    const model = await resolveModel(r.model, caller, named);
    const orgId = await retrievalOrg(caller, named, store);
    const system = contentText(r.system);
    const convo = r.messages.map((m) => ({ role: m.role, text: contentText(m.content) }));
    // A trailing assistant message is a prefill: the answer continues it, as on the real API.
    const prefill = convo.at(-1)?.role === "assistant" ? convo.pop()!.text : "";
    const gen = generate({ tier: model.tier, system, messages: convo, indexes: await model.indexes(orgId) });
    const { text, stopReason, stopSequence } = finishText(gen.text, prefill, r);
    const usage = { input_tokens: inputTokens(system, r), output_tokens: estimateTokens(text) };
    const id = `msg_offline_${randomBytes(12).toString("hex")}`;
    const served = `${model.name}${OFFLINE_MODEL_SUFFIX}`;
    const headers = offlineHeaders(gen, requestId);
    log.debug(`${served} task=${gen.task ?? "chat"} source=${gen.source} org=${orgId ?? "-"} caller=${caller.kind === "service" ? "service" : caller.userId} out=${usage.output_tokens}`);
    if (!r.stream) {
      return send(res, 200, { id, type: "message", role: "assistant", model: served, content: [{ type: "text", text }], stop_reason: stopReason, stop_sequence: stopSequence, usage }, requestId, headers);
    }
    await stream(req, res, { id, served, text, stopReason, stopSequence, usage, headers });
  }

  async function stream(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    m: { id: string; served: string; text: string; stopReason: string; stopSequence: string | null; usage: { input_tokens: number; output_tokens: number }; headers: Record<string, string> },
  ) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...cors, ...m.headers });
    open.add(res);
    let closed = false;
    res.on("close", () => {
      closed = true;
      open.delete(res);
    });
    const write = (event: string, data: unknown) => {
      if (!closed) res.write(sse(event, data));
    };
    write("message_start", {
      type: "message_start",
      message: { id: m.id, type: "message", role: "assistant", model: m.served, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: m.usage.input_tokens, output_tokens: 1 } },
    });
    write("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    write("ping", { type: "ping" });
    for (const chunk of chunks(m.text)) {
      if (closed) return;
      write("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: chunk } });
      if (streamDelayMs) await new Promise((r) => setTimeout(r, streamDelayMs));
    }
    write("content_block_stop", { type: "content_block_stop", index: 0 });
    write("message_delta", { type: "message_delta", delta: { stop_reason: m.stopReason, stop_sequence: m.stopSequence }, usage: { output_tokens: m.usage.output_tokens } });
    write("message_stop", { type: "message_stop" });
    if (!closed) res.end();
    void req;
  }

  function countTokens(res: http.ServerResponse, body: Buffer, requestId: string) {
    const r = parseMessagesRequest(parseJson(body), { needsMaxTokens: false });
    send(res, 200, { input_tokens: inputTokens(contentText(r.system), r) }, requestId);
  }

  function listModels(res: http.ServerResponse, url: URL, requestId: string) {
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 20) || 20));
    const data = BASE_MODELS.slice(0, limit).map((m) => ({ type: "model", ...m }));
    send(res, 200, { data, has_more: data.length < BASE_MODELS.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }, requestId);
  }

  async function getModel(res: http.ServerResponse, id: string, requestId: string, caller: Caller) {
    const base = BASE_MODELS.find((m) => m.id === id);
    if (base) return send(res, 200, { type: "model", ...base }, requestId);
    const modelId = parseFineTunedModelId(id);
    if (!modelId) throw new ApiError(404, "not_found_error", `model: ${id}`);
    const found = await fineTuned(id, modelId, caller, null);
    send(res, 200, { type: "model", id, display_name: `${found.name ?? "Fine-tuned"} (offline, ${found.index.docCount} examples)`, created_at: found.index.builtAt }, requestId);
  }

  function send(res: http.ServerResponse, status: number, body: unknown, requestId: string, extra: Record<string, string> = {}) {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { "content-type": "application/json", "request-id": requestId, ...cors, ...extra });
    res.end(JSON.stringify(body));
  }

  return {
    handleHttp,
    async close() {
      for (const res of open) res.destroy();
      open.clear();
    },
  };
}

function offlineHeaders(gen: Generation, requestId: string): Record<string, string> {
  const h: Record<string, string> = { "request-id": requestId, "x-offline-source": gen.source, "x-offline-task": gen.task ?? "chat" };
  // What the model understood of the prompt's instructions: the first thing to check when an answer ignores one.
  if (gen.instructions) h["x-offline-instructions"] = gen.instructions;
  if (gen.hit) {
    h["x-offline-example-id"] = gen.hit.id;
    h["x-offline-coverage"] = String(gen.hit.coverage);
  }
  return h;
}

/** Roles and message framing cost a few tokens on the real API too. */
function inputTokens(system: string, r: MessagesRequest): number {
  return estimateTokens(system) + r.messages.reduce((s, m) => s + 4 + estimateTokens(contentText(m.content)), 0) + 3;
}

/** Applies prefill, stop sequences and max_tokens the way the real API reports them. */
function finishText(generated: string, prefill: string, r: MessagesRequest): { text: string; stopReason: string; stopSequence: string | null } {
  let text = generated;
  if (prefill) {
    const p = prefill.trimEnd();
    text = text.startsWith(p) ? text.slice(p.length) : text;
  }
  let stopReason = "end_turn";
  let stopSequence: string | null = null;
  for (const s of r.stop_sequences ?? []) {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0 && (stopSequence === null || at < text.indexOf(stopSequence))) stopSequence = s;
  }
  if (stopSequence !== null) {
    text = text.slice(0, text.indexOf(stopSequence));
    stopReason = "stop_sequence";
  }
  if (estimateTokens(text) > r.max_tokens) {
    const words = text.split(/(?<=\s)/);
    let out = "";
    for (const w of words) {
      if (estimateTokens(out + w) > r.max_tokens) break;
      out += w;
    }
    text = out;
    stopReason = "max_tokens";
    stopSequence = null;
  }
  return { text, stopReason, stopSequence };
}

/** Deltas of a few words each, like a real token stream (whitespace kept so the chunks concatenate back). */
function chunks(text: string): string[] {
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += 3) out.push(pieces.slice(i, i + 3).join(""));
  return out;
}
