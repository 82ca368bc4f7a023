/**
 * PostgREST renders CSV in Postgres: a `jsonb` value appears as Postgres writes jsonb as text,
 * `{"foo": {"bar": 1}, "baz": [1, 2]}`, with a space after every colon and comma. lite wrote the
 * compact JSON.stringify form, so the same export differed byte for byte. The key order is the one
 * Postgres returned (jsonb's own), which JSON.parse keeps.
 */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${jsonbText(v)}`)
      .join(", ")}}`;
  }
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value);
}
