import { planRequest, type ReadPlan, type RequestParts } from "./plan.ts";
import type { Schema } from "./schema.ts";
import type { Statement } from "./pipeline.ts";
import { readStatement } from "./sql.ts";

/** A read's plan and statement, or null when lite must answer it. */
export type CachedRead = { plan: ReadPlan; statement: Statement } | null;

type Entry = { headers: Array<[name: string, value: string | undefined]>; read: CachedRead };

const MAX_ENTRIES = 1000;

/**
 * Remembers how each GET was planned, by its path and query string. An app sends the same few reads
 * over and over (the inbox page, a case, a board), and planning them (query string parsing, checks
 * against the schema, the statement) was a tenth of the fast path's JavaScript per request.
 *
 * A plan depends on the schema, the target and the headers planRequest reads; the entry records which
 * headers those were and their values, so a request differing in any of them is planned afresh (and
 * the entry replaced). Cleared whenever the schema is reloaded. Bounded: the oldest entry goes first.
 * The caller's identity is not part of a plan: the role and claims go into the context statement.
 */
export class ReadCache {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly schema: Schema,
    private readonly maxRows: number | null = null,
  ) {}

  get(req: RequestParts): CachedRead {
    const key = `${req.path}?${req.search}`;
    const hit = this.entries.get(key);
    if (hit && hit.headers.every(([name, value]) => req.header(name) === value)) return hit.read;
    const headers: Entry["headers"] = [];
    const recorded: RequestParts = {
      ...req,
      header: (name) => {
        const value = req.header(name);
        headers.push([name, value]);
        return value;
      },
    };
    const plan = planRequest(recorded, this.schema, this.maxRows);
    const read: CachedRead = plan?.kind === "read" ? { plan, statement: readStatement(plan) } : null;
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { headers, read });
    return read;
  }
}
