/**
 * Dataset files in and out: CSV (RFC 4180) and JSONL, one item per row. An import is checked row by
 * row against one zod schema and either yields every item or every problem (line and field), never a
 * part of the file: the caller stores all or nothing. Export writes the same shapes, so a file that
 * imports exports back to an equal file of items. Isomorphic: zod only.
 */
import { z } from "zod";

const text = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    // An empty cell or string is "not given": CSV cannot tell the two apart, so neither does JSONL.
    .transform((v) => (v === undefined || v === null || v === "" ? null : v));

const record = z.record(z.string(), z.unknown());

/** One item as a file carries it. */
export const DatasetItemRow = z
  .object({
    query: z.string({ error: "query is required" }).max(20_000).refine((q) => q.trim().length > 0, "query is required"),
    context: text(50_000),
    variables: record.default({}),
    expected: text(50_000),
    metadata: record.default({}),
  })
  .strict();
export type DatasetItemInput = z.output<typeof DatasetItemRow>;

export const DATASET_COLUMNS = ["query", "context", "variables", "expected", "metadata"] as const;
export const MAX_IMPORT_ROWS = 10_000;

export type RowError = { line: number; field: string; message: string };
export type ParseResult = { ok: true; items: DatasetItemInput[] } | { ok: false; errors: RowError[] };
export type DatasetFormat = "csv" | "jsonl";

function check(raw: unknown, line: number, errors: RowError[], items: DatasetItemInput[]) {
  const r = DatasetItemRow.safeParse(raw);
  if (r.success) items.push(r.data);
  else for (const i of r.error.issues) errors.push({ line, field: i.path.length ? i.path.join(".") : "(row)", message: i.message });
}

function tooMany(count: number): RowError[] {
  return count > MAX_IMPORT_ROWS ? [{ line: 0, field: "(file)", message: `A file holds at most ${MAX_IMPORT_ROWS} items; this one has ${count}` }] : [];
}

export function parseJsonl(input: string): ParseResult {
  const items: DatasetItemInput[] = [];
  const errors: RowError[] = [];
  const lines = input.replace(/^\uFEFF/, "").split(/\r?\n/);
  let count = 0;
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    count++;
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch (err) {
      errors.push({ line: i + 1, field: "(line)", message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
      errors.push({ line: i + 1, field: "(line)", message: "each line must be a JSON object" });
      return;
    }
    check(raw, i + 1, errors, items);
  });
  errors.push(...tooMany(count));
  if (!count && !errors.length) errors.push({ line: 0, field: "(file)", message: "the file has no items" });
  return errors.length ? { ok: false, errors } : { ok: true, items };
}

/** RFC 4180 records with the line each starts on (quoted fields may span lines). */
export function csvRecords(input: string): Array<{ line: number; fields: string[] }> | { line: number; error: string } {
  const s = input.replace(/^\uFEFF/, "");
  const out: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let start = 1;
  let i = 0;
  let quoted = false;
  let any = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !any)) out.push({ line: start, fields });
    fields = [];
    field = "";
    any = false;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === "\n") line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== "") return { line, error: "a quote inside an unquoted field" };
      quoted = true;
      any = true;
      i++;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      any = true;
      i++;
    } else if (c === "\r" && s[i + 1] === "\n") {
      i++;
    } else if (c === "\n") {
      endRecord();
      line++;
      start = line;
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) return { line: start, error: "a quoted field is never closed" };
  if (field !== "" || fields.length || any) endRecord();
  return out;
}

function jsonCell(v: string, line: number, field: string, errors: RowError[]): unknown {
  if (v.trim() === "") return undefined;
  try {
    return JSON.parse(v);
  } catch {
    errors.push({ line, field, message: "must be a JSON object" });
    return undefined;
  }
}

export function parseCsv(input: string): ParseResult {
  const recs = csvRecords(input);
  if (!Array.isArray(recs)) return { ok: false, errors: [{ line: recs.line, field: "(line)", message: recs.error }] };
  if (!recs.length) return { ok: false, errors: [{ line: 0, field: "(file)", message: "the file has no header" }] };
  const [head, ...rows] = recs;
  const cols = head!.fields.map((c) => c.trim().toLowerCase());
  const errors: RowError[] = [];
  const unknown = cols.filter((c) => !(DATASET_COLUMNS as readonly string[]).includes(c));
  if (unknown.length) errors.push({ line: head!.line, field: "(header)", message: `unknown column${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; use ${DATASET_COLUMNS.join(", ")}` });
  if (!cols.includes("query")) errors.push({ line: head!.line, field: "(header)", message: "a query column is required" });
  if (errors.length) return { ok: false, errors };
  const items: DatasetItemInput[] = [];
  for (const r of rows) {
    if (r.fields.length !== cols.length) {
      errors.push({ line: r.line, field: "(row)", message: `has ${r.fields.length} fields; the header has ${cols.length}` });
      continue;
    }
    const raw: Record<string, unknown> = {};
    cols.forEach((c, k) => {
      const v = r.fields[k]!;
      if (c === "variables" || c === "metadata") {
        const parsed = jsonCell(v, r.line, c, errors);
        if (parsed !== undefined) raw[c] = parsed;
      } else raw[c] = v;
    });
    if (errors.some((e) => e.line === r.line)) continue;
    check(raw, r.line, errors, items);
  }
  errors.push(...tooMany(rows.length));
  if (!rows.length && !errors.length) errors.push({ line: 0, field: "(file)", message: "the file has no items" });
  return errors.length ? { ok: false, errors } : { ok: true, items };
}

export function formatOf(fileName: string, content: string): DatasetFormat {
  const n = fileName.toLowerCase();
  if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) return "jsonl";
  if (n.endsWith(".csv")) return "csv";
  return content.trimStart().startsWith("{") ? "jsonl" : "csv";
}

export function parseDatasetFile(fileName: string, content: string): ParseResult {
  return formatOf(fileName, content) === "jsonl" ? parseJsonl(content) : parseCsv(content);
}

type Exportable = { query: string; context?: string | null; variables?: unknown; expected?: string | null; metadata?: unknown };

const canonical = (i: Exportable) => ({
  query: i.query,
  context: i.context ?? null,
  variables: (i.variables ?? {}) as Record<string, unknown>,
  expected: i.expected ?? null,
  metadata: (i.metadata ?? {}) as Record<string, unknown>,
});

export function toJsonl(items: readonly Exportable[]): string {
  return items.map((i) => JSON.stringify(canonical(i))).join("\n") + (items.length ? "\n" : "");
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);

export function toCsv(items: readonly Exportable[]): string {
  const lines = [DATASET_COLUMNS.join(",")];
  for (const raw of items) {
    const i = canonical(raw);
    const json = (o: Record<string, unknown>) => (Object.keys(o).length ? JSON.stringify(o) : "");
    lines.push([i.query, i.context ?? "", json(i.variables), i.expected ?? "", json(i.metadata)].map(csvCell).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

export function exportDataset(items: readonly Exportable[], format: DatasetFormat): string {
  return format === "jsonl" ? toJsonl(items) : toCsv(items);
}
