import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFeedback, callFunction, createOrg, type TestOrg } from "../helpers/org.ts";
import { sql, waitFor } from "../helpers/stack.ts";
import { startOwnStack } from "../helpers/own-stack.ts";
import { loopback } from "../llm/loopback.ts";

// A stack whose "Anthropic" is a loopback server that always fails, with a small per-org LLM limit:
// the real client path (SDK retries included) runs against a provider that is down.
let stack: Awaited<ReturnType<typeof startOwnStack>>;
let provider: http.Server;
let org: TestOrg;
let calls = 0;
let langfuse: Awaited<ReturnType<typeof loopback>>;

beforeAll(async () => {
  provider = http.createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "error", error: { type: "api_error", message: "upstream exploded" } }));
  });
  await new Promise<void>((r) => provider.listen(0, "127.0.0.1", () => r()));
  const port = (provider.address() as net.AddressInfo).port;
  langfuse = await loopback(() => ({ status: 207, body: { successes: [], errors: [] } }));
  stack = await startOwnStack("llm-failure", {
    ANTHROPIC_API_KEY: "test-key", LLM_BASE_URL: `http://127.0.0.1:${port}`, LLM_MAX_RETRIES: "1", LANGFUSE_PUBLIC_KEY: "pk-lf-test", LANGFUSE_SECRET_KEY: "sk-lf-test", LANGFUSE_BASE_URL: langfuse.url,
  });
  org = await createOrg(stack, "llmfail");
  // The organization's LLM limit is the platform's to set, in the database (no caller passes a capacity).
  await sql(stack)`insert into private.llm_limits (org_id, requests_per_minute) values (${org.id}, 3)`;
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
  provider?.close();
  await langfuse?.close();
});

describe("when the LLM provider fails", () => {
  it("answers with a clear error, creates no case, and logs the failed call", async () => {
    const feedbackId = await addFeedback(stack, org.id);
    const r = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
    expect(r.status).toBe(502);
    expect(r.body.error.message).toMatch(/No case was created/);
    expect(calls).toBe(2); // the first try and one retry
    const [cases] = await sql(stack)`select count(*)::int as n from public.improvement_cases where feedback_id = ${feedbackId}`;
    expect(cases!.n).toBe(0);
    const [fb] = await sql(stack)`select status, case_id from public.feedback where id = ${feedbackId}`;
    expect(fb).toEqual({ status: "new", case_id: null });
    const logged = await sql(stack)`select status, error, model from public.ai_requests where org_id = ${org.id}`;
    expect(logged).toHaveLength(1);
    expect(logged[0]!.status).toBe("error");
    expect(logged[0]!.error).toMatch(/upstream|500/);
  });

  it("traces the failed generation to Langfuse and records ingested human ratings as scores", async () => {
    type Event = { type: string; body: Record<string, unknown> };
    const events = () => langfuse.requests.filter((q) => q.path === "/api/public/ingestion").flatMap((q) => (JSON.parse(q.body) as { batch: Event[] }).batch);
    await waitFor(() => events().some((e) => e.type === "generation-update" && e.body.level === "ERROR") || events().some((e) => e.type === "generation-create"), { message: "generation traced" });

    const key = await org.users.admin.client.rpc("create_ingest_key", { p_org: org.id, p_name: "app" });
    const traceId = "customer-trace-123";
    const r = await callFunction(stack, "ingest-feedback", { items: [{ externalId: "t-1", rating: 2, query: "q", response: "r", comment: "meh", traceId }] }, undefined, { "x-ingest-key": key.data });
    expect(r.status).toBe(200);
    const score = await waitFor(() => events().find((e) => e.type === "score-create" && e.body.traceId === traceId), { message: "score sent" });
    expect(score.body).toMatchObject({ name: "user_rating", value: 2, comment: "meh" });
  });

  it("limits LLM calls per organization with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const feedbackId = await addFeedback(stack, org.id);
      const r = await callFunction(stack, "create-improvement-case", { feedbackId }, org.users.reviewer.accessToken);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

