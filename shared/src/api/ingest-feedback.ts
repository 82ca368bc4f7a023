/**
 * The ingest-feedback function's contract: what a customer's app sends (validated by the function
 * with this schema) and the example the ingest-key screen and the README show.
 */
import { z } from "zod";

export const IngestItem = z.object({
  /** Your id for the rated answer (conversation or message id): a retried batch adds nothing twice. */
  externalId: z.string().trim().min(1).max(200),
  rating: z.number().int().min(1).max(5),
  query: z.string().min(1).max(20000),
  response: z.string().max(50000),
  comment: z.string().max(5000).nullish(),
  model: z.string().max(120).nullish(),
  source: z.string().max(60).optional(),
  promptVersionId: z.string().uuid().nullish(),
  /** The Langfuse trace of the answer being rated; the rating is recorded there as a score. */
  traceId: z.string().max(200).nullish(),
  createdAt: z.string().datetime({ offset: true }).optional(),
});

export const IngestRequest = z.object({
  /** Required with the service key; implied by an org ingest key. */
  orgId: z.string().uuid().optional(),
  items: z.array(IngestItem).min(1).max(500),
});
export type IngestRequest = z.infer<typeof IngestRequest>;

export type IngestResponse = { inserted: number; duplicates: number; ids: Array<{ id: string; external_id: string }> };

export const INGEST_EXAMPLE: IngestRequest = {
  items: [
    {
      externalId: "conv_8f2c1d",
      rating: 2,
      query: "How long do refunds take?",
      response: "Refunds are instant.",
      comment: "My refund took a week.",
      model: "claude-sonnet-4-5",
      traceId: "lf-trace-7d1e",
    },
  ],
};

/** The exact request, as a shell command a developer can paste. */
export function ingestCurl(functionsUrl: string, key = "rwk_…"): string {
  return [
    `curl -X POST '${functionsUrl.replace(/\/+$/, "")}/ingest-feedback' \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H 'x-ingest-key: ${key}' \\`,
    `  -d '${JSON.stringify(INGEST_EXAMPLE)}'`,
  ].join("\n");
}
