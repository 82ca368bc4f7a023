import pg from "pg";
import { isConnectionError } from "../../db-status.ts";

/** A statement with `$n` placeholders and its values, sent as text for Postgres to type (as literals are). */
export type Statement = { text: string; values: Array<string | null> };

/** Each statement's rows, each row its fields as Postgres's text. */
export type StatementRows = Array<Array<Array<string | null>>>;

/** How many prepared statements one connection keeps before it closes the least recently used. */
const PER_CONNECTION = 100;

let pipelines = 0;

/**
 * Runs statements as ONE extended-protocol pipeline: Close/Parse (first use on this connection),
 * Bind and Execute for each, then a single Sync. Until that Sync, Postgres runs everything in one
 * implicit transaction and, on an error, skips the rest and rolls it all back. So the role and claims
 * set by the first statement hold for the next, and nothing runs if setting them fails: the guarantee
 * the one-message simple query gave, now with prepared statements as PostgREST uses them: Postgres
 * keeps their parse and analysis per connection (and a generic plan where it costs no more than a
 * custom one). That took 10-15% off Postgres's CPU per fast-path read (bench/README.md).
 *
 * Why not pg's own queries: each one ends in its own Sync (a transaction each), so the settings would
 * be gone before the query ran. pg's Submittable interface is its seam for custom protocol flows
 * (pg-cursor uses it); this is one.
 */
export class StatementPipeline {
  // Statement names by text. A name is never reused for another text, so a name forgotten here and
  // still prepared on some connection can never run the wrong statement.
  private names = new Map<string, string>();
  private next = 0;
  // Two pipelines sharing a pool must not share names either.
  private readonly prefix = `fast_${(pipelines++).toString(36)}_`;
  private prepared = new WeakMap<pg.ClientBase, Map<string, true>>();

  constructor(private readonly pool: pg.Pool, private readonly perConnection = PER_CONNECTION) {
    guardClients(pool);
  }

  async run(statements: Statement[]): Promise<StatementRows> {
    const client = await this.pool.connect();
    let prepared = this.prepared.get(client);
    if (!prepared) this.prepared.set(client, (prepared = new Map()));
    try {
      const rows = await new Promise<StatementRows>((resolve, reject) => {
        const submission = new Submission(statements.map((s) => ({ ...s, name: this.nameFor(s.text) })), prepared, this.perConnection, resolve, reject);
        // @types/pg types the Connection a Submittable receives as the public one; it is pg's protocol connection.
        client.query(submission as unknown as pg.Submittable);
      });
      client.release();
      return rows;
    } catch (err) {
      // A database error leaves the connection usable (Postgres skipped to the Sync); anything else
      // (a lost connection) must not go back to the pool.
      // 57P01 and the like are Postgres's last words before it closes the connection.
      const dbError = err instanceof pg.DatabaseError && !isConnectionError(err);
      // "prepared statement does not exist": what this connection holds is unknown; start over.
      if (dbError && err.code === "26000") prepared.clear();
      client.release(dbError ? undefined : (err as Error));
      throw err;
    }
  }

  private nameFor(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      if (this.names.size >= 10 * this.perConnection) this.names.delete(this.names.keys().next().value!);
      name = `${this.prefix}${(this.next++).toString(36)}`;
      this.names.set(text, name);
    }
    return name;
  }
}

const guarded = new WeakSet<pg.Pool>();

/**
 * pg-pool listens for errors only on idle clients. A checked-out client whose connection drops (Postgres
 * killed or restarted) emits `error`, which with no listener is an uncaught exception: the gateway's
 * crash. Listening from the moment a client connects, not from when run() gets it, also covers the gap
 * pool.connect()'s promise leaves: a backend that says ReadyForQuery and, in the same read, "terminating
 * connection due to unexpected postmaster exit" emitted that error before run() could listen
 * (tests/faults/lost-connection-clients.db.test.ts). What the error means reaches the run anyway: the
 * Submission's handleError, or the client refusing the query as not queryable.
 */
function guardClients(pool: pg.Pool) {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on("connect", (client) => client.on("error", () => undefined));
}

type Named = Statement & { name: string };

/** One pipeline on one connection, in pg's Submittable shape: pg calls submit, then the handle* methods. */
class Submission {
  private rows: StatementRows = [];
  private current: Array<Array<string | null>> = [];
  private parsed: string[] = [];
  private failed = false;

  constructor(
    private readonly statements: Named[],
    private readonly prepared: Map<string, true>,
    private readonly limit: number,
    private readonly resolve: (rows: StatementRows) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  submit(connection: Connection) {
    connection.stream.cork?.();
    try {
      // Closes go first: an error later in the pipeline makes Postgres skip what follows it.
      const wanted = new Set(this.statements.map((s) => s.name));
      const fresh = [...wanted].filter((name) => !this.prepared.has(name));
      for (const name of this.prepared.keys()) {
        if (this.prepared.size + fresh.length <= this.limit) break;
        if (wanted.has(name)) continue;
        this.prepared.delete(name);
        connection.close({ type: "S", name });
      }
      for (const s of this.statements) {
        if (this.prepared.has(s.name)) {
          // Most recently used last, so the oldest is closed first.
          this.prepared.delete(s.name);
          this.prepared.set(s.name, true);
        } else if (!this.parsed.includes(s.name)) {
          // A failed pipeline may or may not have prepared it; closing a missing statement is no error.
          connection.close({ type: "S", name: s.name });
          connection.parse({ name: s.name, text: s.text, types: [] });
          this.parsed.push(s.name);
        }
        connection.bind({ statement: s.name, values: s.values });
        connection.execute({ portal: "", rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleDataRow(msg: { fields: Array<string | null> }) {
    this.current.push(msg.fields);
  }

  handleCommandComplete() {
    this.rows.push(this.current);
    this.current = [];
  }

  handleError(err: Error) {
    // pg stops routing this pipeline's messages after an error; Postgres skips to the Sync anyway.
    if (this.failed) return;
    this.failed = true;
    this.reject(err);
  }

  handleReadyForQuery() {
    if (this.failed) return;
    for (const name of this.parsed) this.prepared.set(name, true);
    this.resolve(this.rows);
  }

  // No statement here has a row description asked for, returns no rows in portions, or copies.
  handleRowDescription() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
  handleCopyInResponse(connection: Connection) {
    connection.sendCopyFail("COPY is not supported here");
  }
  handleCopyData() {}
}

/** The part of pg's (untyped) Connection a Submittable drives. */
type Connection = {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { name: string; text: string; types: number[] }): void;
  bind(msg: { statement: string; values: Array<string | null> }): void;
  execute(msg: { portal: string; rows: number }): void;
  close(msg: { type: "S" | "P"; name: string }): void;
  sync(): void;
  sendCopyFail(message: string): void;
};
