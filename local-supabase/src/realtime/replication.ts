import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import type postgres from "postgres";
import type { Logger } from "../log.ts";

export type RelationColumn = { name: string; typeOid: number; typname: string; sqlType: string; isKey: boolean };
export type Relation = {
  oid: number;
  schema: string;
  table: string;
  replicaIdentity: "default" | "nothing" | "full" | "index";
  columns: RelationColumn[];
  keyColumns: string[];
};
export type Row = Record<string, string | null>;
export type Change = {
  type: "INSERT" | "UPDATE" | "DELETE";
  relation: Relation;
  record: Row | null;
  /** Full old row (replica identity full) or only the identity columns. */
  old: Row | null;
  oldIsFull: boolean;
  commitTime: Date;
  /** The transaction's (32-bit) id, from pgoutput's BEGIN. */
  xid?: number;
};

type PgoutputMessage = {
  tag: string;
  relationOid?: number;
  schema?: string;
  name?: string;
  replicaIdentity?: Relation["replicaIdentity"];
  columns?: { name: string; typeOid: number; flags: number; parser: (raw: unknown) => unknown }[];
  keyColumns?: string[];
  relation?: { relationOid: number };
  new?: Record<string, string | null | undefined>;
  old?: Record<string, string | null | undefined> | null;
  key?: Record<string, string | null | undefined> | null;
  commitTime?: bigint;
  commitEndLsn?: string | null;
  xid?: number;
};

/**
 * Values stay as Postgres' text output: pg's default type parsers would turn timestamps into Dates
 * and lose the representation Supabase sends. The relation object is cached by reference inside
 * the parser, so replacing each column's parser here applies to every later tuple of it.
 */
class TextPgoutputPlugin extends PgoutputPlugin {
  received = 0;
  override parse(buffer: Buffer): ReturnType<PgoutputPlugin["parse"]> {
    this.received++;
    const parsed = super.parse(buffer);
    const msg = parsed as unknown as PgoutputMessage;
    if (msg.tag === "relation") for (const c of msg.columns ?? []) c.parser = (raw) => raw;
    return parsed;
  }
}

/** pg-logical-replication already rebases pgoutput's 2000-01-01 epoch: these are Unix microseconds. */
function pgTime(us: bigint | undefined): Date {
  if (us === undefined) return new Date();
  return new Date(Number(BigInt(us as bigint) / 1000n));
}

function lsnToBig(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(parseInt(hi!, 16)) << 32n) + BigInt(parseInt(lo!, 16));
}

export type ReplicationOptions = {
  databaseUrl: string;
  slotName: string;
  publication: string;
  sql: postgres.Sql;
  log: Logger;
  /** Called once per committed transaction, in commit order; the slot advances after it resolves. */
  onTransaction(changes: Change[]): Promise<void>;
};

/**
 * SPEC C1/C5: a persistent logical slot read with pgoutput. The flushed LSN is confirmed only after
 * a transaction's changes were dispatched, so a restart resumes exactly after the last delivered
 * commit; idle keepalives are confirmed only when nothing received is still unprocessed, so WAL
 * of unpublished tables is released too.
 */
export class ReplicationReader {
  private service: LogicalReplicationService | null = null;
  private plugin: TextPgoutputPlugin | null = null;
  private relations = new Map<number, Relation>();
  private typeCache = new Map<number, { typname: string; sqlType: string }>();
  private txn: Change[] | null = null;
  private commitTime = new Date();
  private xid: number | undefined;
  private processed = 0;
  private confirmed: string | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private startedOnce: Promise<void> | null = null;
  /** When the stream stopped, while it is being re-established. */
  private stoppedSince = 0;

  constructor(private opts: ReplicationOptions) {}

  async start(): Promise<void> {
    const { sql, slotName } = this.opts;
    await sql`select pg_create_logical_replication_slot(${slotName}, 'pgoutput')
              where not exists (select 1 from pg_replication_slots where slot_name = ${slotName})`;
    this.startedOnce = new Promise<void>((resolve) => this.connect(resolve));
    // Don't block gateway start forever if the slot is held by a stale process; connect() retries.
    await Promise.race([this.startedOnce, new Promise((r) => setTimeout(r, 5000).unref())]);
    this.ackTimer = setInterval(() => void this.ack(), 5000);
    this.ackTimer.unref();
  }

  private connect(onStarted: () => void): void {
    if (this.stopped) return;
    const service = new LogicalReplicationService(
      { connectionString: this.opts.databaseUrl },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    const plugin = new TextPgoutputPlugin({ protoVersion: 1, publicationNames: [this.opts.publication] });
    this.service = service;
    this.plugin = plugin;
    this.processed = 0;
    this.txn = null;
    service.on("start", () => {
      if (this.stoppedSince) {
        this.opts.log.info(`replication stream resumed on slot ${this.opts.slotName} after ${Date.now() - this.stoppedSince} ms`);
        this.stoppedSince = 0;
      } else this.opts.log.debug(`replication started on slot ${this.opts.slotName}`);
      onStarted();
    });
    service.on("data", async (_lsn: string, msg: PgoutputMessage) => {
      try {
        await this.handle(msg);
      } catch (err) {
        // An event listener's rejection would be unhandled. While stopping, queries on the closing
        // pool fail by design; otherwise the message was not delivered and is not confirmed.
        if (!this.stopped) this.opts.log.error(`replication message (${msg.tag}) failed`, err);
      } finally {
        this.processed++;
      }
    });
    service.on("heartbeat", (lsn: string, _ts: number, shouldRespond: boolean) => {
      if (!this.txn && this.plugin && this.plugin.received === this.processed) {
        if (!this.confirmed || lsnToBig(lsn) > lsnToBig(this.confirmed)) this.confirmed = lsn;
      }
      if (shouldRespond) void this.ack();
    });
    let failed = false;
    const retry = (err: unknown) => {
      if (failed || this.stopped) return;
      failed = true;
      // Said once per outage (Postgres restarting takes a few attempts), and again when it resumes.
      const why = err instanceof Error ? err.message : String(err);
      if (this.stoppedSince) this.opts.log.debug(`replication stream still stopped (${why}); retrying in 1s`);
      else {
        this.stoppedSince = Date.now();
        this.opts.log.warn(`replication stream stopped (${why}); retrying every second`);
      }
      void service.destroy().catch(() => undefined);
      this.retryTimer = setTimeout(() => this.connect(onStarted), 1000);
      this.retryTimer.unref();
    };
    service.on("error", retry);
    service.subscribe(plugin, this.opts.slotName).then(
      () => {
        if (!this.stopped) retry(new Error("replication connection ended"));
      },
      retry,
    );
  }

  private async ack(): Promise<void> {
    if (this.confirmed && this.service && !this.service.isStop()) {
      try {
        await this.service.acknowledge(this.confirmed);
      } catch {
        /* the stream is reconnecting; the next ack carries the same LSN */
      }
    }
  }

  private async handle(msg: PgoutputMessage): Promise<void> {
    switch (msg.tag) {
      case "relation": {
        const rel = await this.toRelation(msg);
        this.relations.set(rel.oid, rel);
        return;
      }
      case "begin":
        this.txn = [];
        this.commitTime = pgTime(msg.commitTime);
        this.xid = msg.xid;
        return;
      case "insert":
      case "update":
      case "delete": {
        const rel = this.relations.get(msg.relation!.relationOid);
        if (!rel || !this.txn) return;
        const clean = (r: Record<string, string | null | undefined> | null | undefined): Row | null => {
          if (!r) return null;
          const out: Row = {};
          for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
          return out;
        };
        const type = msg.tag.toUpperCase() as Change["type"];
        const old = clean(msg.old) ?? clean(msg.key);
        this.txn.push({ type, relation: rel, record: clean(msg.new), old, oldIsFull: !!msg.old, commitTime: this.commitTime, xid: this.xid });
        return;
      }
      case "commit": {
        const changes = this.txn ?? [];
        this.txn = null;
        if (changes.length) {
          for (const c of changes) c.commitTime = pgTime(msg.commitTime);
          try {
            await this.opts.onTransaction(changes);
          } catch (err) {
            this.opts.log.error("dispatching a transaction failed", err);
          }
        }
        if (msg.commitEndLsn) this.confirmed = msg.commitEndLsn;
        return;
      }
      default:
        return;
    }
  }

  private async toRelation(msg: PgoutputMessage): Promise<Relation> {
    const cols = msg.columns ?? [];
    const missing = cols.map((c) => c.typeOid).filter((o) => !this.typeCache.has(o));
    if (missing.length) {
      const rows = await this.opts.sql<{ oid: number; typname: string; sql_type: string }[]>`
        select oid::int as oid, typname::text as typname, format_type(oid, null) as sql_type from pg_type where oid = any(${missing}::oid[])`;
      for (const r of rows) this.typeCache.set(r.oid, { typname: r.typname, sqlType: r.sql_type });
    }
    // Replica identity FULL flags every column as key; RLS lookups need the real primary key.
    const pk = await this.opts.sql<{ attname: string }[]>`
      select a.attname::text as attname from pg_index i
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = ${msg.relationOid!}::oid and i.indisprimary`;
    const keyColumns = pk.length ? pk.map((r) => r.attname) : (msg.keyColumns ?? []);
    return {
      oid: msg.relationOid!,
      schema: msg.schema!,
      table: msg.name!,
      replicaIdentity: msg.replicaIdentity ?? "default",
      keyColumns,
      columns: cols.map((c) => {
        const t = this.typeCache.get(c.typeOid) ?? { typname: "text", sqlType: "text" };
        return { name: c.name, typeOid: c.typeOid, typname: t.typname, sqlType: t.sqlType, isKey: (c.flags & 1) === 1 };
      }),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.ack();
    await this.service?.destroy().catch(() => undefined);
    this.service = null;
  }
}
