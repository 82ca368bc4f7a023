import type postgres from "postgres";
import type { Logger } from "../log.ts";
import { dbRole, type Claims } from "./auth.ts";
import { matchFilter, type Filter, type PgChangeParams } from "./filters.ts";
import type { Change, Relation, Row } from "./replication.ts";

export type PgBinding = { id: number; params: PgChangeParams; filter: Filter | null };

/** What the change dispatcher needs from a joined channel. */
export interface ChangeSubscriber {
  readonly claims: Claims;
  readonly pgBindings: PgBinding[];
  pushPostgresChange(payload: unknown): void;
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);

/** Converts WAL text to the JSON Supabase sends (its walrus builds rows with to_jsonb). */
export function jsonValue(typname: string, v: string | null): unknown {
  if (v === null) return null;
  if (typname === "bool") return v === "t";
  if (NUMERIC.has(typname)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  if (typname === "json" || typname === "jsonb") {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  if (typname === "timestamp") return v.replace(" ", "T");
  if (typname === "timestamptz") return v.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  return v;
}

function toJsonRow(rel: Relation, row: Row | null, only?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!row) return out;
  for (const c of rel.columns) {
    if (only && !only.includes(c.name)) continue;
    if (c.name in row) out[c.name] = jsonValue(c.typname, row[c.name]!);
  }
  return out;
}

type RelSecurity = { rls: boolean; canSelect: Record<string, boolean>; primaryKey: string[]; at: number };

/**
 * SPEC C3/C4: matches each change to bindings and checks, per distinct set of JWT claims, whether
 * the subscriber's role sees that row under RLS (a SELECT by primary key as that role).
 */
export class ChangeDispatcher {
  readonly subscribers = new Set<ChangeSubscriber>();
  private security = new Map<number, RelSecurity>();

  constructor(private sql: postgres.Sql, private log: Logger) {}

  get bindingCount(): number {
    let n = 0;
    for (const s of this.subscribers) n += s.pgBindings.length;
    return n;
  }

  async dispatch(changes: Change[]): Promise<void> {
    if (this.subscribers.size === 0) return;
    // At most one visibility wait per transaction, and only if some change needs an RLS check.
    let visible: Promise<void> | null = null;
    const whenVisible = () => (visible ??= this.untilCommitVisible(changes[0]?.xid));
    for (const change of changes) {
      try {
        await this.dispatchOne(change, whenVisible);
      } catch (err) {
        this.log.error(`dispatching a change on ${change.relation.schema}.${change.relation.table} failed`, err);
      }
    }
  }

  private async dispatchOne(change: Change, whenVisible: () => Promise<void>): Promise<void> {
    const rel = change.relation;
    const targets: { sub: ChangeSubscriber; ids: number[] }[] = [];
    const filterRow = change.type === "DELETE" ? change.old : change.record;
    for (const sub of this.subscribers) {
      const ids: number[] = [];
      for (const b of sub.pgBindings) {
        const p = b.params;
        if (p.event !== "*" && p.event !== change.type) continue;
        if (p.schema !== "*" && p.schema !== rel.schema) continue;
        if (p.table && p.table !== "*" && p.table !== rel.table) continue;
        if (b.filter) {
          const col = rel.columns.find((c) => c.name === b.filter!.column);
          if (!col || !matchFilter(b.filter, col.typname, filterRow?.[col.name])) continue;
        }
        ids.push(b.id);
      }
      if (ids.length) targets.push({ sub, ids });
    }
    if (!targets.length) return;

    const sec = await this.relSecurity(rel);
    const groups = new Map<string, { claims: Claims; members: typeof targets }>();
    for (const t of targets) {
      const key = JSON.stringify(t.sub.claims);
      const g = groups.get(key) ?? { claims: t.sub.claims, members: [] };
      g.members.push(t);
      groups.set(key, g);
    }
    const columns = rel.columns.map((c) => ({ name: c.name, type: c.typname }));
    const commit_timestamp = change.commitTime.toISOString();
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const role = dbRole(g.claims);
        let visible: boolean;
        if (role === "service_role") visible = true;
        else if (!sec.canSelect[role]) visible = false;
        else if (change.type === "DELETE" || !sec.rls) visible = true; // Supabase does not apply RLS to deletes
        else {
          await whenVisible();
          visible = await this.rowVisible(rel, change.record!, g.claims, role);
        }
        if (!visible) return;
        const data: Record<string, unknown> = { schema: rel.schema, table: rel.table, commit_timestamp, type: change.type, columns, errors: null };
        if (change.type !== "DELETE") data.record = toJsonRow(rel, change.record);
        if (change.type !== "INSERT") {
          // With RLS on, a delete's old row is cut to the primary key for every subscriber, as Supabase's
          // walrus does ("if RLS enabled, we can't secure deletes so filter to pkey"): deletes are not
          // checked against policies, so the rest of a row (who belonged to which organization, say)
          // would reach anyone allowed to subscribe to the table. No primary key: no columns.
          const only = change.type === "DELETE" && sec.rls ? sec.primaryKey : undefined;
          const oldRow = change.old ?? (change.record ? pick(change.record, rel.keyColumns) : null);
          data.old_record = toJsonRow(rel, oldRow, only);
        }
        for (const m of g.members) m.sub.pushPostgresChange({ ids: m.ids, data });
      }),
    );
  }

  /**
   * pgoutput streams a transaction once its commit record is flushed to WAL; the committing backend
   * leaves the proc array a moment later, and a snapshot taken in between still sees it running. An
   * RLS check in that window found no row and silently dropped the change (bench:web lost 2-3 of 40
   * live inserts on a busy machine). So the check waits until a fresh snapshot sees the commit:
   * usually the first probe says so; the wait is bounded in case something is very wrong.
   */
  async untilCommitVisible(xid: number | undefined): Promise<void> {
    if (xid === undefined) return;
    const deadline = Date.now() + 10_000;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const [r] = await this.sql<{ s: string }[]>`select pg_current_snapshot()::text as s`;
      if (!r || xidVisibleIn(xid, r.s)) return;
      if (Date.now() > deadline) {
        this.log.warn(`transaction ${xid} still not visible after 10 s; checking RLS anyway`);
        return;
      }
      await new Promise((res) => setTimeout(res, delay));
    }
  }

  private async rowVisible(rel: Relation, row: Row, claims: Claims, role: string): Promise<boolean> {
    if (!rel.keyColumns.length) return false;
    const params: (string | null)[] = [];
    const conds = rel.keyColumns.map((k) => {
      const col = rel.columns.find((c) => c.name === k);
      params.push(row[k] ?? null);
      return `${ident(k)} = $${params.length}::${col?.sqlType ?? "text"}`;
    });
    try {
      return await this.sql.begin(async (tx) => {
        await tx.unsafe(`set local role ${role}`);
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        const rows = await tx.unsafe(`select 1 from ${ident(rel.schema)}.${ident(rel.table)} where ${conds.join(" and ")} limit 1`, params);
        return rows.length > 0;
      });
    } catch (err) {
      this.log.debug(`RLS check on ${rel.schema}.${rel.table} failed: ${(err as Error).message}`);
      return false;
    }
  }

  private async relSecurity(rel: Relation): Promise<RelSecurity> {
    const cached = this.security.get(rel.oid);
    if (cached && Date.now() - cached.at < 2000) return cached;
    const [r] = await this.sql<{ rls: boolean; anon: boolean; authenticated: boolean; pk: string[] | null }[]>`
      select c.relrowsecurity as rls,
             has_table_privilege('anon', c.oid, 'SELECT') as anon,
             has_table_privilege('authenticated', c.oid, 'SELECT') as authenticated,
             (select array_agg(a.attname::text order by a.attnum) from pg_index i
                join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
              where i.indrelid = c.oid and i.indisprimary) as pk
      from pg_class c where c.oid = ${rel.oid}::oid`;
    const sec: RelSecurity = {
      rls: r?.rls ?? true,
      canSelect: { anon: r?.anon ?? false, authenticated: r?.authenticated ?? false, service_role: true },
      primaryKey: r?.pk ?? [],
      at: Date.now(),
    };
    this.security.set(rel.oid, sec);
    return sec;
  }
}

/**
 * Whether a transaction (pgoutput's 32-bit xid) is committed as far as a snapshot
 * (`pg_current_snapshot()::text`, "xmin:xmax:xip,...", 64-bit ids) is concerned. The xid is widened
 * to the snapshot's epoch; it belongs to a transaction that just committed, so it is within 2^31 of xmax.
 */
export function xidVisibleIn(xid: number, snapshot: string): boolean {
  const [xminText, xmaxText, xipText = ""] = snapshot.split(":");
  const xmin = BigInt(xminText!);
  const xmax = BigInt(xmaxText!);
  let full = (xmax & ~0xffffffffn) | BigInt(xid >>> 0);
  if (full - xmax > 0x80000000n) full -= 0x100000000n;
  else if (xmax - full > 0x80000000n) full += 0x100000000n;
  if (full >= xmax) return false;
  if (full < xmin) return true;
  return !xipText.split(",").some((x) => x !== "" && BigInt(x) === full);
}

function pick(row: Row, keys: string[]): Row {
  const out: Row = {};
  for (const k of keys) if (k in row) out[k] = row[k]!;
  return out;
}

export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
