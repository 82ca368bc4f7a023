import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { supabase } from "../../lib/supabase.ts";
import { unwrap } from "../../lib/errors.ts";
import { callFunction } from "../../lib/functions.ts";
import { openChannel } from "../../lib/realtime.ts";
import type { OptSession, Prompt, PromptVariable, PromptVersion, VersionMetrics } from "./types.ts";

export const promptKeys = {
  list: (orgId: string) => ["prompts", orgId] as const,
  detail: (id: string) => ["prompt", id] as const,
  versions: (id: string) => ["prompt", id, "versions"] as const,
  metrics: (id: string) => ["prompt", id, "metrics"] as const,
};

export function usePrompts(orgId: string) {
  return useQuery({
    queryKey: promptKeys.list(orgId),
    queryFn: async () => unwrap(await supabase.from("prompts").select("*").eq("org_id", orgId).order("slug")) as Prompt[],
  });
}

export function usePrompt(id: string) {
  return useQuery({ queryKey: promptKeys.detail(id), queryFn: async () => unwrap(await supabase.from("prompts").select("*").eq("id", id).maybeSingle()) as Prompt | null });
}

/**
 * A prompt's versions, live: a promotion by the gate (the worker), a rollback or a new version by someone
 * else shows without a reload, so nobody acts on a status that changed under them.
 */
export function useVersions(promptId: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      openChannel(`prompt-versions:${promptId}`, {
        setup: (ch) => {
          ch.on("postgres_changes", { event: "*", schema: "public", table: "prompt_versions", filter: `prompt_id=eq.${promptId}` }, () => {
            void qc.invalidateQueries({ queryKey: promptKeys.versions(promptId) });
            void qc.invalidateQueries({ queryKey: promptKeys.metrics(promptId) });
          });
        },
        onSubscribed: (_ch, again) => {
          if (again) void qc.invalidateQueries({ queryKey: promptKeys.versions(promptId) });
        },
      }),
    [promptId, qc],
  );
  return useQuery({
    queryKey: promptKeys.versions(promptId),
    queryFn: async () => unwrap(await supabase.from("prompt_versions").select("*").eq("prompt_id", promptId).order("version", { ascending: false })) as PromptVersion[],
  });
}

export function useMetrics(promptId: string) {
  return useQuery({
    queryKey: promptKeys.metrics(promptId),
    queryFn: async () => unwrap(await supabase.rpc("prompt_version_metrics", { p_prompt_id: promptId })) as VersionMetrics[],
  });
}

function useInvalidatePrompt(promptId: string) {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: promptKeys.detail(promptId) });
}

export function useCreatePrompt(orgId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: { slug: string; description: string }) => callFunction("create-prompt", { orgId, ...input }),
    onSuccess: () => qc.invalidateQueries({ queryKey: promptKeys.list(orgId) }),
  });
}

export type SaveVersionInput = {
  template: string; systemTemplate: string; variables: PromptVariable[]; model: string;
  parentVersionId?: string; status: "draft" | "candidate"; sessionId?: string;
};

export function useSaveVersion(promptId: string) {
  const invalidate = useInvalidatePrompt(promptId);
  return useMutation({
    mutationFn: (input: SaveVersionInput) => callFunction("save-prompt-version", { promptId, ...input }),
    onSuccess: () => invalidate(),
  });
}

export function usePromote(promptId: string) {
  const invalidate = useInvalidatePrompt(promptId);
  return useMutation({
    mutationFn: (versionId: string) => callFunction("promote-prompt", { versionId }),
    onSuccess: () => invalidate(),
  });
}

export function useRollback(promptId: string) {
  const invalidate = useInvalidatePrompt(promptId);
  return useMutation({
    mutationFn: (input: { versionId: string; reason?: string }) => callFunction("rollback-prompt", { promptId, ...input }),
    onSuccess: () => invalidate(),
  });
}

/** The optimizer's four calls; the page keeps the session state between them. */
export const optimizer = {
  start: (orgId: string, promptId: string, initialPrompt: string) =>
    callFunction("start-optimization", { orgId, promptId, initialPrompt }),
  answer: (sessionId: string, answers: Array<{ question: string; answer: string }>) =>
    callFunction("submit-answer", { sessionId, answers }),
  finalize: (sessionId: string) => callFunction("generate-final-prompt", { sessionId }),
  rate: (sessionId: string, rating: number, comments?: string) => callFunction("rate-optimizer-session", { sessionId, rating, comments }),
};
