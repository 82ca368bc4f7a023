import { z } from "zod";

/**
 * Feedback added by hand: the form's raw values, checked at the boundary before anything is sent.
 * The limits are the `feedback` table's CHECK constraints (20260101000100_review.sql), so a value
 * the form accepts is one the database accepts; labels and model have no CHECK and follow the
 * label dialog (40) and the ingest function (120).
 */
export const FEEDBACK_LIMITS = { query: 20_000, response: 50_000, comment: 5_000, labels: 20, label: 40, model: 120 } as const;

/** Where a hand-added row says it came from (`feedback.source`, ≤ 60 characters). */
export const MANUAL_SOURCE = "manual";

export type FeedbackDraft = { query: string; response: string; rating: string; comment: string; labels: string; model: string };
export type DraftField = keyof FeedbackDraft;

export const EMPTY_DRAFT: FeedbackDraft = { query: "", response: "", rating: "", comment: "", labels: "", model: "" };

/** Postgres' char_length counts code points; String#length counts UTF-16 units (an emoji is two). */
export const charLength = (s: string) => [...s].length;

const n = (v: number) => v.toLocaleString("en-US");
const atMost = (max: number, what: string) => (s: string) => charLength(s) <= max || `${what} can be at most ${n(max)} characters (now ${n(charLength(s))}).`;
const withMax = (max: number, what: string) =>
  z.string().superRefine((s, ctx) => {
    const verdict = atMost(max, what)(s);
    if (verdict !== true) ctx.addIssue({ code: "custom", message: verdict });
  });

/** "Billing, #refund,billing" → ["billing", "refund"]: the label dialog's form (trimmed, lower case, no "#"). */
export function splitLabels(text: string): string[] {
  const labels = text.split(",").map((l) => l.trim().replace(/^#+/, "").trim().toLowerCase()).filter(Boolean);
  return [...new Set(labels)];
}

/** Adds a label to the comma-separated text, or takes it out if it is there (suggestion chips). */
export function toggleLabel(text: string, label: string): string {
  const labels = splitLabels(text);
  const next = labels.includes(label) ? labels.filter((l) => l !== label) : [...labels, label];
  return next.join(", ");
}

export const NewFeedbackSchema = z.object({
  // Surrounding whitespace of a question carries nothing; it is dropped before the length checks.
  query: z.string().trim().min(1, "Enter the question that was asked.").pipe(withMax(FEEDBACK_LIMITS.query, "The question")),
  // The answer is stored exactly as given (it may be code or formatted text); it may be empty.
  response: withMax(FEEDBACK_LIMITS.response, "The answer"),
  rating: z.string().regex(/^[1-5]$/, "Choose a rating from 1 to 5.").transform(Number),
  comment: z.string().trim().pipe(withMax(FEEDBACK_LIMITS.comment, "The comment")).transform((s) => s || null),
  labels: z
    .string()
    .transform(splitLabels)
    .superRefine((labels, ctx) => {
      const tooLong = labels.find((l) => charLength(l) > FEEDBACK_LIMITS.label);
      if (labels.length > FEEDBACK_LIMITS.labels) ctx.addIssue({ code: "custom", message: `At most ${FEEDBACK_LIMITS.labels} labels (now ${labels.length}).` });
      else if (tooLong) ctx.addIssue({ code: "custom", message: `A label can be at most ${FEEDBACK_LIMITS.label} characters: “${tooLong.slice(0, 20)}…”.` });
    }),
  model: z.string().trim().pipe(withMax(FEEDBACK_LIMITS.model, "The model name")).transform((s) => s || null),
});

export type NewFeedback = z.output<typeof NewFeedbackSchema>;
export type FieldErrors = Partial<Record<DraftField, string>>;

export const FIELD_ORDER: DraftField[] = ["query", "response", "rating", "comment", "labels", "model"];

/** The draft as an insertable value, or one sentence per invalid field. */
export function parseDraft(draft: FeedbackDraft): { ok: true; value: NewFeedback } | { ok: false; errors: FieldErrors } {
  const res = NewFeedbackSchema.safeParse(draft);
  if (res.success) return { ok: true, value: res.data };
  const flat = z.flattenError(res.error).fieldErrors as Partial<Record<DraftField, string[]>>;
  const errors: FieldErrors = {};
  for (const f of FIELD_ORDER) if (flat[f]?.length) errors[f] = flat[f]![0];
  return { ok: false, errors };
}

/** The row to insert for an organization (status, claim and case are left to the table's defaults). */
export function toInsert(orgId: string, v: NewFeedback) {
  return { org_id: orgId, query: v.query, response: v.response, rating: v.rating, comment: v.comment, labels: v.labels, model: v.model, source: MANUAL_SOURCE };
}
