import { z } from "zod";
import { FineTuneConfig } from "@review/shared/jobs/config";
import { PermanentError, type ClaimedJob, type JobContext } from "../../queue/types.ts";
import { loadJob, round, type HandlerDeps } from "../common.ts";
import { buildDataset, DatasetTooSmallError, type Dataset, type DatasetSnapshot, type Example } from "./dataset.ts";
import { evaluateOnExamples, type EvalProgress, type EvalSummary } from "./evaluate.ts";
import { createLocalTrainer, generatorFor } from "./local-trainer.ts";
import { createOpenAiTrainer, servedModelOf } from "./openai-trainer.ts";
import type { Trainer } from "./trainer.ts";

/** Resumable state kept on the queue entry between attempts. */
const Checkpoint = z.object({
  snapshot: z.custom<DatasetSnapshot>((v) => typeof v === "object" && v !== null && "contentHash" in v).optional(),
  trainer: z.unknown().optional(),
  trained: z.object({ provider: z.string(), details: z.record(z.string(), z.unknown()) }).optional(),
  modelId: z.string().uuid().optional(),
});
type Checkpoint = z.infer<typeof Checkpoint>;

export type FineTuneResult = {
  modelId: string;
  model: string;
  trainer: string;
  snapshot: Omit<DatasetSnapshot, "trainIds" | "validationIds">;
  evaluation: EvalSummary;
  baseline: (EvalSummary & { model: string }) | null;
};

export function pickTrainer(deps: HandlerDeps, kind: "local" | "openai"): Trainer {
  if (kind === "local") return createLocalTrainer(deps.llm);
  if (!deps.env.FINE_TUNE_API_BASE_URL) {
    throw new PermanentError("This job asks for the OpenAI-compatible trainer, but FINE_TUNE_API_BASE_URL is not configured on the worker");
  }
  return createOpenAiTrainer({
    baseUrl: deps.env.FINE_TUNE_API_BASE_URL,
    apiKey: deps.env.FINE_TUNE_API_KEY ?? "",
    pollMs: deps.env.FINE_TUNE_POLL_MS,
    llm: deps.llm,
    fetch: deps.fetch,
  });
}

/**
 * Fine-tune: dataset → snapshot → train → models row → evaluation on the validation split. Each stage
 * checkpoints, so a re-claimed job resumes where the last attempt stopped; the models row is upserted on
 * its unique job_id, so a job never yields two models however often it runs.
 */
export async function runFineTune(deps: HandlerDeps, entry: ClaimedJob, ctx: JobContext): Promise<FineTuneResult> {
  const { sql } = deps;
  const { job, config } = await loadJob(sql, entry, FineTuneConfig);
  const tags = config.tags.length ? config.tags : job.trained_on_tags;
  const parsedCp = Checkpoint.safeParse(ctx.checkpoint ?? {});
  let cp: Checkpoint = parsedCp.success ? parsedCp.data : {};
  const save = async (next: Checkpoint) => {
    cp = next;
    await ctx.saveCheckpoint(cp);
  };
  const trainer = pickTrainer(deps, config.trainer);
  const baseModel = job.base_model ?? config.baseModel;

  // 1. Dataset: the snapshot of a previous attempt is authoritative (it is what may already be trained).
  let ds: Dataset;
  if (cp.snapshot) {
    ds = await datasetFromSnapshot(deps, job.org_id, cp.snapshot);
    await ctx.progress({ percent: 20, step: "dataset", message: `Resumed with dataset ${cp.snapshot.contentHash.slice(0, 12)} (attempt ${ctx.attempt})` });
  } else {
    await ctx.progress({ percent: 2, step: "dataset", message: `Collecting approved examples${tags.length ? ` tagged ${tags.join(", ")}` : ""}` });
    const rows = await sql<Example[]>`
      select id::text, query, answer, tags, created_at from public.training_examples
      where org_id = ${job.org_id} and (${tags.length === 0} or tags && array(select jsonb_array_elements_text(${sql.json(tags)})))
      order by created_at desc, id limit ${config.maxExamples}`;
    try {
      ds = buildDataset(rows, tags, config);
    } catch (err) {
      if (err instanceof DatasetTooSmallError) throw new PermanentError(err.message);
      throw err;
    }
    await save({ snapshot: ds.snapshot });
    const { trainIds: _t, validationIds: _v, ...summary } = ds.snapshot;
    await sql`update public.jobs set result = ${sql.json({ snapshot: summary } as never)} where id = ${job.id}`;
    await ctx.progress({
      percent: 20,
      step: "dataset",
      message: `Dataset ${ds.snapshot.contentHash.slice(0, 12)}: ${ds.train.length} train / ${ds.validation.length} validation (${ds.snapshot.counts.duplicates} duplicates, ${ds.snapshot.counts.tooLong} too long left out)`,
      metrics: { ...ds.snapshot.counts, ...ds.snapshot.tokens },
    });
  }
  ctx.signal.throwIfAborted();

  // 2. Train (the trainer checkpoints its own remote state inside).
  let trained = cp.trained;
  let retrievalIndex: unknown;
  if (!trained || (trainer.kind === "local" && !cp.modelId)) {
    const out = await trainer.train({
      orgId: job.org_id,
      jobId: job.id,
      jobName: job.name,
      baseModel,
      systemPrompt: config.systemPrompt,
      train: ds.train,
      validation: ds.validation,
      snapshot: ds.snapshot,
      hyperparameters: config.hyperparameters,
      seed: config.seed,
      signal: ctx.signal,
      checkpoint: cp.trainer,
      saveCheckpoint: (state) => save({ ...cp, trainer: state }),
      progress: (percent, step, message, metrics) => ctx.progress({ percent, step, message, metrics }),
    });
    trained = { provider: out.provider, details: out.details };
    retrievalIndex = out.retrievalIndex;
    await save({ ...cp, trained });
  }

  // 3. The models row: upserted on job_id (unique), so retries and duplicate runs converge on one row.
  const snapshotSummary = (({ trainIds: _t, validationIds: _v, ...rest }) => rest)(ds.snapshot);
  // What a prompt version pins to serve this model: a remote fine-tune's reference (`openai:ft:…`); for
  // the local trainer, null lets the database name it `offline-ft:<its id>`.
  const servedModel = trainer.kind === "openai" ? servedModelOf(trained) : null;
  const [model] = await sql<{ id: string }[]>`
    insert into public.models (org_id, job_id, name, provider, base_model, served_model, dataset_snapshot, retrieval_index)
    values (${job.org_id}, ${job.id}, ${job.name}, ${trained.provider}, ${baseModel}, ${servedModel},
            ${sql.json({ ...ds.snapshot, trainer: trained.details } as never)},
            ${retrievalIndex === undefined ? null : sql.json(retrievalIndex as never)})
    on conflict (job_id) do update set
      provider = excluded.provider, base_model = excluded.base_model, dataset_snapshot = excluded.dataset_snapshot,
      retrieval_index = coalesce(excluded.retrieval_index, public.models.retrieval_index)
    returning id`;
  const modelId = model!.id;
  if (cp.modelId !== modelId) await save({ ...cp, modelId });
  await ctx.progress({ percent: 40, step: "model", message: `Model ${modelId} registered; evaluating on ${ds.validation.length} held-out examples` });

  // 4. Evaluate the trained model (and the base model, for the gain) on the validation split. Both get
  // the same system prompt and neither the organization's approved answers (see WorkerLlm.complete), so
  // the base model cannot have seen the answers it is scored against.
  const n = ds.validation.length;
  // A line every item for a small split, about 40 lines for a large one; the bar moves on every item.
  const every = Math.max(1, Math.ceil(n / 40));
  const evalOpts = (from: number, to: number, who: string) => ({
    concurrency: config.evalConcurrency,
    perMinute: deps.env.LLM_REQUESTS_PER_MINUTE,
    signal: ctx.signal,
    onItem: (p: EvalProgress) =>
      ctx.progress({
        percent: from + ((to - from) * p.done) / p.total,
        step: "evaluate",
        ...(p.done % every === 0 || p.done === p.total
          ? {
              message: `Evaluating ${who}: ${p.done}/${p.total} held-out items, ${p.correct} answered right so far (${pct(p.correct / p.done)}, mean F1 ${p.meanF1.toFixed(3)})`,
              metrics: { model: who, done: p.done, total: p.total, runningAccuracy: round(p.correct / p.done), runningF1: round(p.meanF1) },
            }
          : {}),
      }),
  });
  const generate = trainer.generator(modelId, { provider: trained.provider, details: trained.details }, job.org_id, { system: config.systemPrompt });
  const evaluation = await evaluateOnExamples(generate, ds.validation, evalOpts(40, config.compareBaseline ? 70 : 98, "the tuned model"));
  let baseline: FineTuneResult["baseline"] = null;
  if (config.compareBaseline && trainer.kind === "local") {
    const base = generatorFor(deps.llm, baseModel, job.org_id, "worker:fine-tune-eval", { system: config.systemPrompt });
    baseline = { model: baseModel, ...(await evaluateOnExamples(base, ds.validation, evalOpts(70, 98, `the base model ${baseModel}`))) };
  }

  // 5. Numbers onto the model row: all measured above, none assumed.
  await sql`
    update public.models set
      accuracy = ${evaluation.accuracy},
      latency_ms = ${evaluation.latencyMs.mean},
      cost_per_1k_tokens = ${evaluation.costPer1kTokens},
      dataset_snapshot = dataset_snapshot || ${sql.json({ evaluation, baseline } as never)}
    where id = ${modelId}`;
  const modelName = trainer.kind === "local" ? `offline-ft:${modelId}` : servedModelOf(trained);
  const gain = baseline ? evaluation.accuracy - baseline.accuracy : null;
  await ctx.progress({
    percent: 99,
    step: "result",
    message:
      `Tuned model: accuracy ${pct(evaluation.accuracy)} (F1 ${evaluation.meanF1.toFixed(3)}, ROUGE-L ${evaluation.meanRougeL.toFixed(3)}) on ${evaluation.n} held-out items` +
      (baseline
        ? `; base ${baseline.model}: ${pct(baseline.accuracy)} (F1 ${baseline.meanF1.toFixed(3)}); ${gain! >= 0 ? "+" : ""}${(gain! * 100).toFixed(1)} points`
        : ""),
    metrics: { accuracy: evaluation.accuracy, meanF1: evaluation.meanF1, meanRougeL: evaluation.meanRougeL, baselineAccuracy: baseline?.accuracy ?? null, baselineF1: baseline?.meanF1 ?? null },
  });
  return { modelId, model: modelName, trainer: trainer.kind, snapshot: snapshotSummary, evaluation, baseline };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function datasetFromSnapshot(deps: HandlerDeps, orgId: string, snap: DatasetSnapshot): Promise<Dataset> {
  const ids = [...snap.trainIds, ...snap.validationIds];
  const rows = await deps.sql<Example[]>`
    select id::text, query, answer, tags, created_at from public.training_examples where org_id = ${orgId} and id = any(array(select jsonb_array_elements_text(${deps.sql.json(ids)}))::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pick = (xs: string[]) => xs.map((id) => byId.get(id)).filter((e): e is Example => Boolean(e));
  const train = pick(snap.trainIds);
  const validation = pick(snap.validationIds);
  if (train.length !== snap.trainIds.length || validation.length !== snap.validationIds.length) {
    throw new PermanentError("Training examples in this job's dataset snapshot were deleted since it was taken; start a new fine-tune job");
  }
  return { train, validation, snapshot: snap };
}
