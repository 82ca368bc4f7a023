/**
 * Which of two states of a feedback row is newer, by `updated_at` (touched by a trigger on every
 * update). Postgres keeps microseconds and two updates can land within one millisecond, so the
 * comparison keeps them; REST and Realtime render the same instant differently (`+00:00` or `Z`,
 * fraction or none), so it compares instants, not strings.
 */

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Microseconds since the epoch, or null when the value is missing or not a timestamp. */
export function instantMicros(ts: string | null | undefined): number | null {
  if (!ts) return null;
  const m = TIMESTAMP.exec(ts.trim());
  if (!m) return null;
  const [, day, time, fraction = "", zone = "Z"] = m;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const seconds = Date.parse(`${day}T${time}${offset}`);
  if (Number.isNaN(seconds)) return null;
  return seconds * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

type Versioned = { updated_at?: string | null };

/**
 * True only when both states carry a version and `incoming` is strictly older than `current`.
 * Equal or unknown versions are not "older": an optimistic patch keeps the version it started from,
 * and replaying the same change twice must be harmless.
 */
export function isOlder(incoming: Versioned, current: Versioned): boolean {
  const a = instantMicros(incoming.updated_at);
  const b = instantMicros(current.updated_at);
  return a !== null && b !== null && a < b;
}
