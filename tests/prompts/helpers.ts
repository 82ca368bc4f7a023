import { randomUUID } from "node:crypto";
import type { StackInfo } from "@review/local-supabase";
import { callFunction, type TestOrg } from "../helpers/org.ts";
import { sql } from "../helpers/stack.ts";

export type Version = { id: string; version: number; status: string; template: string; system_template: string; promoted_at: string | null };

/** A prompt made through create-prompt by the org's curator. */
export async function newPrompt(stack: StackInfo, org: TestOrg, slug = `p-${randomUUID().slice(0, 8)}`): Promise<{ id: string; slug: string }> {
  const r = await callFunction(stack, "create-prompt", { orgId: org.id, slug, description: "test prompt" }, org.users.curator.accessToken);
  if (r.status !== 201) throw new Error(`create-prompt: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.prompt;
}

/** A version saved through save-prompt-version (as the curator unless a token is given). */
export async function saveVersion(
  stack: StackInfo,
  org: TestOrg,
  promptId: string,
  template: string,
  opts: { status?: "draft" | "candidate"; systemTemplate?: string; token?: string; model?: string } = {},
): Promise<Version> {
  const names = [...new Set([...`${template}\n${opts.systemTemplate ?? ""}`.matchAll(/\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g)].map((m) => m[1]!))];
  const r = await callFunction(
    stack,
    "save-prompt-version",
    {
      promptId,
      template,
      systemTemplate: opts.systemTemplate,
      variables: names.map((name) => ({ name, type: "string" })),
      model: opts.model ?? "offline-fast-1",
      status: opts.status ?? "candidate",
    },
    opts.token ?? org.users.curator.accessToken,
  );
  if (r.status !== 201) throw new Error(`save-prompt-version: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.version;
}

/** Promotion as the worker's gate does it (a direct connection, no JWT): the database function directly. */
export async function promoteDirect(stack: StackInfo, versionId: string, evidenceJobId: string | null = null) {
  await sql(stack)`select public.promote_prompt_version_from_gate(${versionId}, ${evidenceJobId})`;
}

export async function statuses(stack: StackInfo, promptId: string): Promise<Record<number, string>> {
  const rows = await sql(stack)`select version, status::text from public.prompt_versions where prompt_id = ${promptId} order by version`;
  return Object.fromEntries(rows.map((r) => [r.version as number, r.status as string]));
}
