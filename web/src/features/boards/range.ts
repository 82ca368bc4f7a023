/** Board date ranges: whole UTC days, as the rollups are kept. */
export type DateRange = { from: string; to: string };

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function lastDays(n: number, today = new Date()): DateRange {
  const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  const from = new Date(to.getTime() - (n - 1) * 86_400_000);
  return { from: isoDay(from), to: isoDay(to) };
}

/** Keeps a typed range valid for the board functions (from ≤ to, at most 366 days). */
export function clampRange(r: DateRange): DateRange {
  let { from, to } = r;
  if (from > to) [from, to] = [to, from];
  const span = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  if (span > 366) from = isoDay(new Date(Date.parse(to) - 366 * 86_400_000));
  return { from, to };
}
