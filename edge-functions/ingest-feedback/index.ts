import { IngestRequest as Input } from "../../shared/src/api/ingest-feedback.ts";
import { serviceClient } from "../_shared/auth.ts";
import { env } from "../_shared/env.ts";
import { AppError, handler, json, parseBody, unauthorized } from "../_shared/http.ts";
import { llm } from "../_shared/llm.ts";

// Batch feedback from the customer's app. Authenticated by an org-scoped ingest key (x-ingest-key,
// created by an admin) or the service key; idempotent on (org, externalId): a retried batch adds nothing twice.
Deno.serve(handler(async (req) => {
  const input = await parseBody(req, Input);
  const service = serviceClient();
  const orgId = await resolveOrg(req, service, input.orgId);

  const ids = input.items.map((i) => i.externalId);
  if (new Set(ids).size !== ids.length) throw new AppError(400, "invalid_input", "externalId must be unique within a batch");
  const rows = input.items.map((i) => ({
    org_id: orgId,
    external_id: i.externalId,
    rating: i.rating,
    query: i.query,
    response: i.response,
    comment: i.comment ?? null,
    model: i.model ?? null,
    source: i.source ?? "api",
    prompt_version_id: i.promptVersionId ?? null,
    trace_id: i.traceId ?? null,
    ...(i.createdAt ? { created_at: i.createdAt } : {}),
  }));
  const { data, error } = await service
    .from("feedback")
    .upsert(rows, { onConflict: "org_id,external_id", ignoreDuplicates: true })
    .select("id, external_id");
  if (error) {
    const status = error.code === "23503" ? 400 : 500;
    throw new AppError(status, "ingest_failed", error.code === "23503" ? "A promptVersionId does not exist" : error.message);
  }
  const inserted = data ?? [];
  await scoreRatings(service, input.items.filter((i) => i.traceId && inserted.some((r) => r.external_id === i.externalId)));
  return json({ inserted: inserted.length, duplicates: rows.length - inserted.length, ids: inserted }, 200);
}));

/** Human ratings become Langfuse scores on the rated traces (only new rows, so a retry scores nothing twice). */
async function scoreRatings(service: ReturnType<typeof serviceClient>, items: Array<{ traceId?: string | null; rating: number; comment?: string | null }>) {
  if (items.length === 0) return;
  const { client } = llm(service);
  if (!client.tracing) return;
  for (const i of items) client.score({ traceId: i.traceId!, name: "user_rating", value: i.rating, comment: i.comment ?? undefined });
  await client.flush();
}

async function resolveOrg(req: Request, service: ReturnType<typeof serviceClient>, bodyOrg: string | undefined): Promise<string> {
  const key = req.headers.get("x-ingest-key");
  if (key) {
    const { data, error } = await service.rpc("resolve_ingest_key", { p_key: key });
    if (error) throw new AppError(500, "key_lookup_failed", error.message);
    const orgId = (Array.isArray(data) ? data[0] : data) as string | null;
    if (!orgId) throw unauthorized("The ingest key is not valid or was revoked");
    if (bodyOrg && bodyOrg !== orgId) throw new AppError(403, "forbidden", "This ingest key belongs to another organization");
    return orgId;
  }
  const bearer = req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
  if (bearer && bearer === env().SUPABASE_SERVICE_ROLE_KEY) {
    if (!bodyOrg) throw new AppError(400, "invalid_input", "orgId is required with the service key", { orgId: ["Required"] });
    return bodyOrg;
  }
  throw unauthorized("Send an x-ingest-key header (or the service key)");
}
