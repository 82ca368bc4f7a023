import { useEffect } from "react";
import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { allRows } from "../../lib/pages.ts";
import { openChannel } from "../../lib/realtime.ts";
import { toJsonlLine } from "./jsonl.ts";

export type TrainingExample = { id: string; org_id: string; query: string; answer: string; tags: string[]; source_case_id: string | null; created_by: string | null; created_at: string };

const PAGE = 100;
export const trainingKeys = {
  all: (orgId: string) => ["training", orgId] as const,
  list: (orgId: string, tag: string | null) => ["training", orgId, "list", tag] as const,
  tags: (orgId: string) => ["training", orgId, "tags"] as const,
};

export function useExamples(orgId: string, tag: string | null) {
  return useInfiniteQuery({
    queryKey: trainingKeys.list(orgId, tag),
    initialPageParam: 0,
    queryFn: async ({ pageParam }) => {
      let q = supabase.from("training_examples").select("*").eq("org_id", orgId);
      if (tag) q = q.contains("tags", [tag]);
      return unwrap(await q.order("created_at", { ascending: false }).order("id").range(pageParam, pageParam + PAGE - 1)) as TrainingExample[];
    },
    getNextPageParam: (last, pages) => (last.length < PAGE ? undefined : pages.length * PAGE),
  });
}

/** Examples per tag, counted from the tags column alone (paged, so large sets are counted fully). */
export function useTagCounts(orgId: string) {
  return useQuery({
    queryKey: trainingKeys.tags(orgId),
    queryFn: async () => {
      const counts = new Map<string, number>();
      const rows = await allRows<{ tags: string[] }>((from, to) => supabase.from("training_examples").select("tags").eq("org_id", orgId).order("id").range(from, to));
      for (const r of rows) for (const t of r.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
      return { total: rows.length, tags: [...counts.entries()].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)) };
    },
  });
}

/** A new approved example shows up in the list and the counts without a reload. */
export function useTrainingLive(orgId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`training-changes:${orgId}`, {
        setup: (ch) =>
          ch.on("postgres_changes", { event: "*", schema: "public", table: "training_examples", filter: `org_id=eq.${orgId}` }, () => {
            // Examples arrive one approval at a time; a refetch of the visible page is cheap here.
            void qc.invalidateQueries({ queryKey: trainingKeys.all(orgId) });
          }),
      }),
    [orgId, qc],
  );
}

/** The examples as JSONL in the chat fine-tuning format, fetched page by page. */
export async function exportJsonl(orgId: string, tag: string | null): Promise<Blob> {
  const rows = await allRows<{ query: string; answer: string; tags: string[] }>((from, to) => {
    let q = supabase.from("training_examples").select("query, answer, tags").eq("org_id", orgId);
    if (tag) q = q.contains("tags", [tag]);
    return q.order("created_at").order("id").range(from, to);
  });
  const lines = rows.map(toJsonlLine);
  return new Blob([lines.join("\n") + (lines.length ? "\n" : "")], { type: "application/jsonl" });
}

