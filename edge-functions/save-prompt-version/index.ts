import { SavePromptVersionRequest } from "../../shared/src/api/prompts.ts";
import { checkVariables, type VariableProblem } from "../../shared/src/prompts/template.ts";
import { checkTaskVariables } from "../../shared/src/prompts/live.ts";
import type { Json } from "../../shared/src/database.types.ts";
import { getCaller, requireCapability } from "../_shared/auth.ts";
import { AppError, badRequest, handler, json, notFound, parseBody } from "../_shared/http.ts";
import { loadOwnSession, rpcFailure } from "../_shared/prompt-studio.ts";

const problemText: Record<VariableProblem["problem"], string> = {
  undeclared: "used in the template but not declared",
  unused: "declared but not used in the template",
  duplicate: "declared twice",
  invalid_name: "not a valid name (letters, digits and _; not starting with a digit)",
};

// Saves a new draft or candidate version of a prompt (curators and admins). The declared variables must
// match the template's {{placeholders}} exactly, so a production prompt never has a silent hole. The
// number is max+1, assigned under a lock on the prompt (create_prompt_version), so concurrent saves
// get consecutive numbers; the caller is recorded as author.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, SavePromptVersionRequest);
  const caller = await getCaller(req);
  const { data: prompt, error } = await caller.client.from("prompts").select("id, org_id, slug").eq("id", input.promptId).maybeSingle();
  if (error) throw new AppError(500, "prompt_lookup_failed", error.message);
  if (!prompt) throw notFound("The prompt");
  await requireCapability(caller, prompt.org_id, "prompt:edit", "The prompt");

  const problems = checkVariables(input.variables, input.template, input.systemTemplate);
  if (problems.length) {
    const fields: Record<string, string[]> = {};
    for (const p of problems) (fields[`variables.${p.problem}`] ??= []).push(p.variable);
    const summary = problems.map((p) => `"${p.variable}" is ${problemText[p.problem]}`).join("; ");
    throw badRequest(`The variables do not match the template: ${summary}`, { ...fields, variables: problems.map((p) => `${p.variable}: ${problemText[p.problem]}`) });
  }
  // A prompt named after a task is rendered with that task's values: a variable it never supplies
  // would fail every call once the version is live, so it fails here instead.
  const unsupplied = checkTaskVariables(prompt.slug, input.variables, input.template, input.systemTemplate).filter((p) => p.includes("is not a value"));
  if (unsupplied.length) throw badRequest(`The variables do not match the task: ${unsupplied.join("; ")}`, { variables: unsupplied });

  if (input.sessionId) {
    const session = await loadOwnSession(caller, input.sessionId);
    if (session.org_id !== prompt.org_id) throw badRequest("Some fields point at things that do not exist", { sessionId: ["That session belongs to another organization"] });
    if (session.status !== "finalized") throw badRequest("The session has no final prompt yet", { sessionId: ["Generate the final prompt first"] });
  }

  const { data: version, error: rpcError } = await caller.client.rpc("create_prompt_version", {
    p_prompt_id: prompt.id,
    p_template: input.template,
    p_system_template: input.systemTemplate,
    p_variables: input.variables,
    p_model: input.model,
    p_params: input.params as Json,
    // The generated types say string; the SQL function takes null for "no parent" (PostgREST passes it).
    p_parent_version_id: (input.parentVersionId ?? null) as string,
    p_status: input.status,
  });
  if (rpcError) throw rpcFailure(rpcError, "version_save_failed");
  const saved = version as { id: string };

  if (input.sessionId) {
    const { error: linkError } = await caller.client.from("opt_sessions").update({ saved_version_id: saved.id }).eq("id", input.sessionId);
    // The version is saved either way; a missing link only loses the "saved as vN" badge in the UI.
    if (linkError) console.warn(`could not link session ${input.sessionId} to version ${saved.id}: ${linkError.message}`);
  }
  return json({ version }, 201);
}));
