import { beforeAll, describe, expect, it } from "vitest";
import { addFeedback, createOrg, type TestOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";
import type { StackInfo } from "@review/local-supabase";

/**
 * The product's tenancy keys span two columns, `(org_id, x_id) references t (org_id, id)`. Embedding over
 * them must join on both, as PostgREST does: joined on one, a to-one embed meets every row of the org
 * (21000, "more than one row returned by a subquery"). Run as a signed-in member, through RLS.
 */
let stack: StackInfo;
let org: TestOrg;
let caseId: string;
let feedbackIds: string[];

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "embed");
  feedbackIds = [await addFeedback(stack, org.id, { rating: 2, query: "first" }), await addFeedback(stack, org.id, { rating: 4, query: "second" })];
  const [kase] = await sql(stack)`
    insert into public.improvement_cases (org_id, feedback_id, query, bad_response)
    values (${org.id}, ${feedbackIds[1]!}, 'second', 'bad') returning id`;
  caseId = kase!.id as string;
  await sql(stack)`
    with p as (
      insert into public.prompts (org_id, slug) values (${org.id}, 'greeting'), (${org.id}, 'farewell') returning id, slug
    )
    insert into public.prompt_versions (org_id, prompt_id, version, template, model)
    select ${org.id}, p.id, v, 'Say ' || p.slug, 'offline-fast-1' from p, generate_series(1, 2) v`;
});

describe("embedding over the product's two-column foreign keys", () => {
  it("embeds a case's feedback through improvement_cases_org_id_feedback_id_fkey", async () => {
    const r = await org.users.reviewer.client
      .from("improvement_cases")
      .select("id, feedback:feedback!improvement_cases_org_id_feedback_id_fkey(id, rating)")
      .eq("id", caseId)
      .single();
    expect(r.error).toBeNull();
    expect(r.data).toEqual({ id: caseId, feedback: { id: feedbackIds[1], rating: 4 } });
  });

  it("filters on an embedded column through !inner", async () => {
    const r = await org.users.curator.client
      .from("prompt_versions")
      .select("version, prompts!prompt_versions_org_id_prompt_id_fkey!inner(slug)")
      .eq("org_id", org.id)
      .eq("prompts.slug", "farewell")
      .order("version");
    expect(r.error).toBeNull();
    expect(r.data).toEqual([
      { version: 1, prompts: { slug: "farewell" } },
      { version: 2, prompts: { slug: "farewell" } },
    ]);
  });

  it("embeds the versions of each prompt the other way", async () => {
    const r = await org.users.curator.client.from("prompts").select("slug, prompt_versions(version)").eq("org_id", org.id).order("slug").order("version", { referencedTable: "prompt_versions" });
    expect(r.error).toBeNull();
    expect(r.data).toEqual([
      { slug: "farewell", prompt_versions: [{ version: 1 }, { version: 2 }] },
      { slug: "greeting", prompt_versions: [{ version: 1 }, { version: 2 }] },
    ]);
  });
});
