import { dayStart, parseFilters } from "../inbox/index.ts";

/**
 * The inbox's filter (its URL parameters, parsed by the inbox's own parser) as the database builder
 * takes it: public.build_dataset_from_feedback applies the same rules the inbox does, with calendar days
 * turned into the viewer's local day boundaries as the inbox turns them.
 */
export function filterFromParams(params: URLSearchParams): Record<string, unknown> {
  const f = parseFilters(params);
  return {
    ...(f.rating.length ? { rating: f.rating } : {}),
    ...(f.status.length ? { status: f.status } : {}),
    ...(f.labels.length ? { labels: f.labels } : {}),
    ...(f.from ? { from: dayStart(f.from) } : {}),
    ...(f.to ? { to: dayStart(f.to, 1) } : {}),
    ...(f.model ? { model: f.model } : {}),
    ...(f.q ? { q: f.q } : {}),
  };
}

export function describeFilter(f: Record<string, unknown>): string {
  const parts: string[] = [];
  if (Array.isArray(f.rating)) parts.push(`rating ${f.rating.join(", ")}`);
  if (Array.isArray(f.status)) parts.push(`status ${f.status.join(", ")}`);
  if (Array.isArray(f.labels)) parts.push(`labels ${f.labels.map((l) => `#${l}`).join(" or ")}`);
  if (f.from || f.to) parts.push("a date range");
  if (f.model) parts.push(`model ${String(f.model)}`);
  if (f.q) parts.push(`text “${String(f.q)}”`);
  return parts.length ? `Feedback with ${parts.join("; ")}.` : "All feedback (no filter).";
}
