import { ThemesConfig } from "@review/shared/jobs/config";
import { NameThemeOutput, taskLine } from "@review/shared/llm/offline-protocol";
import { clusterAuto, clusterKeywords, dot, embedLocal, normalize, type Vector } from "@review/shared/themes/cluster";
import type { ClaimedJob, JobContext } from "../../queue/types.ts";
import { createLimiter } from "../../lib/limiter.ts";
import { loadJob, round, type HandlerDeps } from "../common.ts";

type Row = { id: string; query: string; comment: string | null; rating: number; is_current: boolean };

export type ThemesResult = {
  window: { from: string; to: string; previousFrom: string };
  items: number;
  previousItems: number;
  embedding: "provider" | "local";
  k: number;
  silhouette: number | null;
  scores: Array<{ k: number; silhouette: number }>;
  themes: Array<{ id: string; name: string; size: number; previousSize: number; avgRating: number | null }>;
  timingsMs: Record<string, number>;
};

const SYSTEM = [
  taskLine("name-theme"),
  "You name a theme in low-rated user feedback about an AI assistant's answers.",
  "Answer with one JSON object and nothing else: {\"name\": a name of at most 6 words, \"summary\": one or two sentences on what these users are unhappy about}.",
].join("\n");

/**
 * Feedback themes for one organization, as a scatter-gather: read the low-rated feedback of the window
 * (this organization's only), embed it (the provider's embeddings endpoint when configured, else the
 * deterministic local embedding), cluster it with k chosen by the silhouette, then name every cluster
 * with the LLM in parallel (bounded concurrency) and gather the results into one write.
 */
export async function runThemes(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<ThemesResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, ThemesConfig);
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => (timings[name] = Math.round(performance.now() - since));

  const [w] = await sql<{ now: Date; cur_from: Date; prev_from: Date }[]>`
    select now() as now, now() - make_interval(days => ${config.windowDays}) as cur_from, now() - make_interval(days => ${2 * config.windowDays}) as prev_from`;
  const { now, cur_from: curFrom, prev_from: prevFrom } = w!;
  const rows = await sql<Row[]>`
    (select id, query, comment, rating::int, true as is_current from public.feedback
      where org_id = ${job.org_id} and rating <= ${config.maxRating} and created_at >= ${curFrom} and created_at < ${now}
      order by created_at desc limit ${config.maxItems})
    union all
    (select id, query, comment, rating::int, false from public.feedback
      where org_id = ${job.org_id} and rating <= ${config.maxRating} and created_at >= ${prevFrom} and created_at < ${curFrom}
      order by created_at desc limit ${config.maxItems})`;
  const current = rows.filter((r) => r.is_current);
  const previous = rows.filter((r) => !r.is_current);
  lap("read", t0);
  await ctx.progress({ percent: 10, step: "collect", message: `${current.length} low-rated items in the window, ${previous.length} in the one before` });

  const base = { window: { from: curFrom.toISOString(), to: now.toISOString(), previousFrom: prevFrom.toISOString() }, items: current.length, previousItems: previous.length };
  if (current.length < 3) {
    await sql`update public.feedback_themes set is_current = false where org_id = ${job.org_id} and is_current`;
    return { ...base, embedding: "local", k: 0, silhouette: null, scores: [], themes: [], timingsMs: timings };
  }

  const text = (r: Row) => `${r.query}${r.comment ? ` ${r.comment}` : ""}`;
  let t = performance.now();
  const { vectors, source } = await embed(deps, [...current, ...previous].map(text), ctx.signal);
  const cur = vectors.slice(0, current.length);
  const prev = vectors.slice(current.length);
  lap("embed", t);
  await ctx.progress({ percent: 35, step: "embed", message: `Embedded ${vectors.length} items (${source === "local" ? "local hashed TF-IDF" : "provider embeddings"})` });
  ctx.signal.throwIfAborted();

  t = performance.now();
  const clusters = clusterAuto(cur, { maxK: Math.min(config.maxThemes, Math.max(2, Math.floor(current.length / 3))), seed: config.seed });
  const k = clusters.k;
  const keywords = clusterKeywords(current.map(text), clusters.labels, k);
  const previousSizes = new Array<number>(k).fill(0);
  for (const v of prev) previousSizes[nearest(v, clusters.centroids)]!++;
  lap("cluster", t);
  await ctx.progress({
    percent: 60,
    step: "cluster",
    message: `${k} themes (silhouette ${round(clusters.silhouette, 3)})`,
    metrics: { k, silhouette: round(clusters.silhouette, 4), scores: clusters.scores.map((s) => ({ k: s.k, silhouette: round(s.silhouette, 4) })) },
  });

  // Members of each cluster, most typical first.
  const members = Array.from({ length: k }, () => [] as Array<{ row: Row; similarity: number }>);
  cur.forEach((v, i) => {
    const c = clusters.labels[i]!;
    members[c]!.push({ row: current[i]!, similarity: dot(v, normalize(Float32Array.from(clusters.centroids[c]!))) });
  });
  for (const m of members) m.sort((a, b) => b.similarity - a.similarity || (a.row.id < b.row.id ? -1 : 1));

  // Scatter: name the themes in parallel; gather: one write with every result.
  t = performance.now();
  const limiter = createLimiter({ concurrency: config.concurrency });
  let named = 0;
  const names = await Promise.all(
    members.map((m, c) =>
      limiter.run(async () => {
        const out = await nameTheme(deps, job.org_id, keywords[c]!, m.slice(0, 8).map((x) => text(x.row)), ctx.signal);
        named++;
        await ctx.progress({ percent: 60 + Math.round((30 * named) / k), step: "name", message: `Named ${named} of ${k} themes` });
        return out;
      }, ctx.signal),
    ),
  );
  lap("name", t);

  t = performance.now();
  const themes = await sql.begin(async (tx) => {
    await tx`update public.feedback_themes set is_current = false where org_id = ${job.org_id} and is_current`;
    const out: ThemesResult["themes"] = [];
    for (let c = 0; c < k; c++) {
      const m = members[c]!;
      if (!m.length) continue;
      const avg = m.reduce((s, x) => s + x.row.rating, 0) / m.length;
      const [theme] = await tx<{ id: string }[]>`
        insert into public.feedback_themes (org_id, job_id, name, summary, keywords, size, avg_rating, previous_size, window_from, window_to)
        values (${job.org_id}, ${job.id}, ${names[c]!.name}, ${names[c]!.summary}, ${keywords[c]!}, ${m.length}, ${avg}, ${previousSizes[c]!}, ${curFrom}, ${now})
        returning id`;
      const items = m.map((x) => ({ org_id: job.org_id, theme_id: theme!.id, feedback_id: x.row.id, similarity: Math.round(x.similarity * 1e4) / 1e4 }));
      for (let i = 0; i < items.length; i += 5000) await tx`insert into public.feedback_theme_items ${tx(items.slice(i, i + 5000))}`;
      out.push({ id: theme!.id, name: names[c]!.name, size: m.length, previousSize: previousSizes[c]!, avgRating: round(avg, 3) });
    }
    return out;
  });
  lap("write", t);
  timings.total = Math.round(performance.now() - t0);
  return { ...base, embedding: source, k, silhouette: round(clusters.silhouette, 4), scores: clusters.scores.map((s) => ({ k: s.k, silhouette: round(s.silhouette, 4) ?? 0 })), themes, timingsMs: timings };
}

function nearest(v: Vector, centroids: readonly Vector[]): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, i) => {
    let d = 0;
    for (let j = 0; j < v.length; j++) d += (v[j]! - c[j]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/** Provider embeddings (an OpenAI-compatible /embeddings endpoint) when EMBEDDINGS_MODEL is set; else local. */
async function embed(deps: HandlerDeps, texts: string[], signal: AbortSignal): Promise<{ vectors: Vector[]; source: "provider" | "local" }> {
  const { EMBEDDINGS_MODEL: model, OPENAI_API_KEY: key } = deps.env;
  if (!model || !key) return { vectors: embedLocal(texts), source: "local" };
  const baseUrl = (deps.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1").replace(/\/$/, "");
  const doFetch = deps.fetch ?? fetch;
  const vectors: Vector[] = [];
  for (let i = 0; i < texts.length; i += 256) {
    const res = await doFetch(`${baseUrl}/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ model, input: texts.slice(i, i + 256).map((t) => t.slice(0, 8000)) }),
      signal,
    });
    if (!res.ok) throw new Error(`The embeddings endpoint answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { data: Array<{ index: number; embedding: number[] }> };
    for (const d of body.data.sort((a, b) => a.index - b.index)) vectors.push(normalize(Float32Array.from(d.embedding)));
  }
  return { vectors, source: "provider" };
}

async function nameTheme(deps: HandlerDeps, orgId: string, keywords: string[], samples: string[], signal: AbortSignal): Promise<{ name: string; summary: string }> {
  const fallback = { name: keywords.slice(0, 3).join(", ") || "Other feedback", summary: "" };
  const user = [`<keywords>${keywords.join(", ")}</keywords>`, ...samples.map((s) => `<item>${s.replace(/</g, "‹")}</item>`)].join("\n");
  try {
    const r = await deps.llm.complete({
      model: deps.llm.route.fast,
      system: SYSTEM,
      messages: [{ role: "user", content: user }],
      maxTokens: 300,
      context: { functionName: "worker:themes" },
      logOrgId: orgId,
      signal,
    });
    const json = r.text.slice(r.text.indexOf("{"), r.text.lastIndexOf("}") + 1);
    const parsed = NameThemeOutput.safeParse(JSON.parse(json));
    return parsed.success ? { name: parsed.data.name.slice(0, 200), summary: parsed.data.summary } : fallback;
  } catch (err) {
    signal.throwIfAborted();
    deps.log.warn("naming a theme failed; using its keywords", { error: String(err) });
    return fallback;
  }
}

/** Recomputed on a schedule for every organization with low ratings lately (the schedule key dedupes across workers). */
export async function scheduleThemes(deps: Pick<HandlerDeps, "sql" | "env">, nowMs = Date.now()): Promise<number> {
  const bucket = Math.floor(nowMs / deps.env.THEMES_INTERVAL_MS);
  const rows = await deps.sql<{ id: string | null }[]>`
    select (e.job).id as id
    -- An organization whose themes were computed (or asked for) within the interval is not asked again:
    -- the seed's first run, or a recompute someone started, counts.
    from (select distinct f.org_id from public.feedback f
          where f.rating <= 2 and f.created_at > now() - interval '30 days'
            and not exists (
              select 1 from public.jobs j
              where j.org_id = f.org_id and j.kind = 'themes' and j.status <> 'failed'
                and j.created_at > now() - make_interval(secs => ${deps.env.THEMES_INTERVAL_MS / 1000}))) o
    cross join lateral private.enqueue_job(o.org_id, 'themes', 'Feedback themes', p_priority => -1,
                                           p_schedule_key => 'themes:' || o.org_id || ':' || ${bucket}::text) e`;
  return rows.filter((r) => r.id).length;
}
