import Anthropic from "@anthropic-ai/sdk";
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSuggestAnswerPrompt, fineTunedModelName, orgMetadataUserId } from "@review/shared/llm/offline-protocol";
import { buildRetrievalIndex } from "@review/shared/llm/retrieval";
import type { StackInfo } from "@review/local-supabase";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";

// The dev LLM as an attacker meets it: who may call it, and whose approved answers an answer may use.
let stack: StackInfo;
let orgA: TestOrg;
let orgB: TestOrg;
/** A sentence only org B's approved answer contains. */
const SECRET_B = "Globex-only: quote code ZEBRA-7731 and a refund lands within one hour.";
let exampleB: string;
let modelB: string;

const url = () => `${stack.apiUrl}/llm/v1/messages`;
const question = () => buildSuggestAnswerPrompt({ query: "I got a double charge on my card, how can I get a refund?", badAnswer: "Contact your bank." });
const body = (extra: Record<string, unknown> = {}) => {
  const p = question();
  return JSON.stringify({ model: "offline-strong-1", max_tokens: 600, system: p.system, messages: p.messages, ...extra });
};
const post = (headers: Record<string, string>, b = body()) => fetch(url(), { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers }, body: b });
const sdk = (apiKey: string) => new Anthropic({ apiKey, baseURL: `${stack.apiUrl}/llm`, maxRetries: 0 });
const text = (m: Anthropic.Message) => m.content.map((b) => (b.type === "text" ? b.text : "")).join("");

async function expectAuthError(res: Response) {
  expect(res.status).toBe(401);
  const b = (await res.json()) as { type: string; error: { type: string; message: string } };
  expect(b).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  expect(b.error.message).toMatch(/x-api-key/);
}

beforeAll(async () => {
  stack = await getStack();
  [orgA, orgB] = await Promise.all([createOrg(stack, "llm-a"), createOrg(stack, "llm-b")]);
  const [row] = await sql(stack)`insert into public.training_examples (org_id, query, answer) values (${orgB.id}, 'How do I get a refund for a double charge on my card?', ${SECRET_B}) returning id`;
  exampleB = row!.id as string;
  const index = buildRetrievalIndex([{ id: "b1", query: "What is the Globex vault code?", answer: "The Globex vault code is PELICAN-0042." }]);
  const [m] = await sql(stack)`
    insert into public.models (org_id, name, provider, base_model, dataset_snapshot)
    values (${orgB.id}, 'globex-ft', 'offline', 'offline-strong-1', ${sql(stack).json({ example_count: 1, retrieval_index: index } as never)})
    returning id`;
  modelB = fineTunedModelName(m!.id as string);
});

describe("dev LLM: a credential is required", () => {
  it("refuses no key, a made-up key, the anon key, a forged and an expired token with Anthropic's 401", async () => {
    await expectAuthError(await post({}));
    await expectAuthError(await post({ "x-api-key": "any-local-key" }));
    await expectAuthError(await post({ authorization: "Bearer any-local-key" }));
    await expectAuthError(await post({ "x-api-key": stack.anonKey }));
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode("not-the-project-secret-but-long-enough-for-hs256"));
    await expectAuthError(await post({ "x-api-key": forged }));
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify({ role: "service_role", exp: now + 3600 })).toString("base64url")}.`;
    await expectAuthError(await post({ "x-api-key": unsigned }));
    const expired = await new SignJWT({ role: "authenticated", sub: orgB.users.curator.id })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(stack.jwtSecret));
    await expectAuthError(await post({ "x-api-key": expired }));
    // The other endpoints too, and through the SDK as its typed error.
    await expectAuthError(await fetch(`${stack.apiUrl}/llm/v1/models/offline-fast-1`));
    await expect(sdk(stack.anonKey).messages.create({ model: "offline-fast-1", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("takes the service role key or a user's token, as x-api-key or as a bearer token", async () => {
    for (const headers of <Record<string, string>[]>[{ "x-api-key": stack.serviceRoleKey }, { authorization: `Bearer ${stack.serviceRoleKey}` }, { "x-api-key": orgA.users.reviewer.accessToken }, { authorization: `Bearer ${orgA.users.reviewer.accessToken}` }]) {
      expect((await post(headers)).status).toBe(200);
    }
  });
});

describe("dev LLM: retrieval stays inside the caller's organization", () => {
  const ask = async (apiKey: string, userIdMetadata?: string) => {
    const p = question();
    const { data, response } = await sdk(apiKey)
      .messages.create({ model: "offline-strong-1", max_tokens: 600, system: p.system, messages: p.messages, ...(userIdMetadata ? { metadata: { user_id: userIdMetadata } } : {}) })
      .withResponse();
    return { text: text(data), exampleId: response.headers.get("x-offline-example-id") };
  };

  it("never answers a user of org A from org B's approved answers, whatever the request's metadata names", async () => {
    const attacker = orgA.users.admin;
    for (const metadata of [`org:${orgB.id}`, orgMetadataUserId(orgB.id, attacker.id), orgMetadataUserId(orgB.id, orgB.users.admin.id), undefined]) {
      const r = await ask(attacker.accessToken, metadata);
      expect(r.text).not.toContain("ZEBRA-7731");
      expect(r.exampleId).not.toBe(exampleB);
    }
  });

  it("answers a member of org B from org B's approved answers, named or implied by their one membership", async () => {
    for (const metadata of [`org:${orgB.id}`, undefined]) {
      const r = await ask(orgB.users.reviewer.accessToken, metadata);
      expect(r.exampleId).toBe(exampleB);
      expect(r.text).toContain("ZEBRA-7731");
    }
    // The Edge Functions and the worker name the organization they act for.
    expect((await ask(stack.serviceRoleKey, orgMetadataUserId(orgB.id, orgB.users.reviewer.id))).text).toContain("ZEBRA-7731");
    expect((await ask(stack.serviceRoleKey, `org:${orgA.id}`)).text).not.toContain("ZEBRA-7731");
  });

  it("stops answering a removed member from the organization's answers at once", async () => {
    const leaver = orgB.users.manager;
    expect((await ask(leaver.accessToken)).text).toContain("ZEBRA-7731");
    await sql(stack)`delete from public.memberships where org_id = ${orgB.id} and user_id = ${leaver.id}`;
    expect((await ask(leaver.accessToken, `org:${orgB.id}`)).text).not.toContain("ZEBRA-7731");
  });
});

describe("dev LLM: a fine-tuned model is its organization's", () => {
  const askModel = (apiKey: string, model: string, metadata?: string) =>
    sdk(apiKey).messages.create({ model, max_tokens: 200, messages: [{ role: "user", content: "What is the Globex vault code?" }], ...(metadata ? { metadata: { user_id: metadata } } : {}) });

  it("refuses org B's offline-ft model to a user of org A as Anthropic refuses a model one may not use", async () => {
    const err = await askModel(orgA.users.admin.accessToken, modelB).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(String((err as Error).message)).not.toContain("PELICAN");
    // The same answer as for a model that does not exist, so it does not reveal that the id exists.
    const missing = await askModel(orgA.users.admin.accessToken, fineTunedModelName(randomUUID())).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    await expect(sdk(orgA.users.admin.accessToken).models.retrieve(modelB)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    // A service caller acting for org A may not use it either.
    await expect(askModel(stack.serviceRoleKey, modelB, `org:${orgA.id}`)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("serves it to org B's members and to the service role", async () => {
    expect(text(await askModel(orgB.users.curator.accessToken, modelB))).toContain("PELICAN-0042");
    expect(text(await askModel(stack.serviceRoleKey, modelB, `org:${orgB.id}`))).toContain("PELICAN-0042");
    expect(text(await askModel(stack.serviceRoleKey, modelB))).toContain("PELICAN-0042");
    expect((await sdk(orgB.users.curator.accessToken).models.retrieve(modelB)).display_name).toContain("globex-ft");
  });
});
