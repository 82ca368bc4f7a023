import pg from "pg";
import type { Logger } from "../../log.ts";
import { planRequest, type Plan, type RequestParts } from "./plan.ts";
import { ReadCache } from "./read-cache.ts";
import { loadSchema, type Schema } from "./schema.ts";
import { StatementPipeline, type Statement, type StatementRows } from "./pipeline.ts";
import { contextStatement, insertStatement, type Caller } from "./sql.ts";
import { endClient, isConnectionError } from "../../db-status.ts";

export type { Caller } from "./sql.ts";
export type { RequestParts } from "./plan.ts";

export type FastAnswer = { status: number; headers: Record<string, string>; body: string };

/**
 * The REST fast path: the commonest requests (a plain filtered select, a plain insert) answered in one
 * database round trip with the JSON built by Postgres, as PostgREST builds it. Why our own code and not
 * lite for these: lite spends ~1.6 ms of CPU on each request (parsing, query building, row mapping) and
 * three round trips in its transaction, which put its select at 6-7× the raw query (bench/README.md).
 *
 * It is an optimisation only, never a second behaviour:
 * - anything it does not fully understand (see plan.ts) goes to lite untouched;
 * - any database error goes to lite too, which runs the request itself and answers with its own error.
 *   The failed attempt changed nothing: its implicit transaction rolled back. A lost connection is
 *   the exception: that attempt may have committed, so it is answered 503 as PostgREST answers it;
 * - the equivalence test asserts its answers equal lite's, headers and bodies.
 */
export class FastRest {
  private pool: pg.Pool;
  private listener: pg.Client | null = null;
  private schema: Schema | null = null;
  private reads: ReadCache | null = null;
  // The context statement for a caller, for a read and for a write. Keyed by the claims object, which
  // verifyJwt hands out once per token, so a signed-in user's requests build it once.
  private contexts = new WeakMap<object, { role: string; timeouts: number; read: Statement; write: Statement }>();
  private statements: StatementPipeline;
  private loading: Promise<boolean> | null = null;
  private enabled = false;
  private closed = false;
  private wasOn = false;
  private retry: NodeJS.Timeout | null = null;

  private readonly timeouts: { for(role: string): string | null; version: number };
  private readonly maxRows: number | null;
  private readonly onConnectionLost?: (reason: string) => void;

  /**
   * `timeouts`: each role's statement timeout (role-settings.ts); `maxRows`: `[api] max_rows`
   * (supabase-config.ts). The stack passes both, as lite gets them.
   */
  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    opts: {
      timeouts?: { for(role: string): string | null; version: number };
      maxRows?: number | null;
      /** Told when a request lost its connection (db-status.ts checks whether Postgres is down). */
      onConnectionLost?: (reason: string) => void;
    } = {},
  ) {
    this.timeouts = opts.timeouts ?? { for: () => null, version: 0 };
    this.maxRows = opts.maxRows ?? null;
    this.onConnectionLost = opts.onConnectionLost;
    // lite's connections run in UTC whatever the server's default; so must these, or a timestamp's
    // offset would depend on which engine answered.
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 10, options: "-c TimeZone=UTC" });
    this.pool.on("error", (err) => log.warn(`fast path connection lost: ${err.message}`));
    this.statements = new StatementPipeline(this.pool);
  }

  /**
   * Listens for `NOTIFY pgrst, 'reload schema'` (the DDL event trigger in bootstrap sends it, as on
   * Supabase) and loads the schema. Whenever it cannot listen or read the schema, the fast path is off
   * (a stale schema could render a changed table differently from lite) and it tries again each second.
   */
  async start() {
    await this.connect();
  }

  private async connect() {
    const listener = new pg.Client({ connectionString: this.databaseUrl });
    this.listener = listener;
    const lost = (why: string) => {
      if (this.listener !== listener) return; // already replaced or closed
      this.listener = null;
      this.off(why);
    };
    listener.on("error", (err) => lost(`its schema listener failed (${err.message})`));
    listener.on("end", () => lost("its schema listener closed"));
    listener.on("notification", (n) => {
      if (n.channel === "pgrst" && (n.payload === "" || n.payload === "reload schema")) void this.reload();
    });
    try {
      await listener.connect();
      const watch = await listener.query<{ ok: boolean }>(
        "select count(*) = 2 as ok from pg_catalog.pg_event_trigger where evtname in ('pgrst_ddl_watch', 'pgrst_drop_watch') and evtenabled <> 'D'",
      );
      if (!watch.rows[0]?.ok) {
        // Without Supabase's DDL watch no notification ever comes; retrying would not help.
        this.log.warn("REST fast path off: the database has no pgrst DDL watch (installing it needs a superuser); every request goes through lite");
        this.listener = null;
        await listener.end();
        return;
      }
      await listener.query("listen pgrst");
      // Whatever changed while it was not listening is in this read.
      if ((await this.reload()) && this.listener === listener) this.on();
    } catch (err) {
      lost(`its schema listener could not connect (${(err as Error).message})`);
      void listener.end().catch(() => {});
    }
  }

  private off(why: string) {
    if (this.closed) return;
    if (this.enabled) this.log.warn(`REST fast path off: ${why}; every request goes through lite until it can follow the schema again`);
    this.enabled = false;
    this.retry ??= setTimeout(() => {
      this.retry = null;
      void this.recover();
    }, 1000).unref();
  }

  private on() {
    if (this.enabled || this.closed) return;
    if (this.wasOn) this.log.info("REST fast path back on");
    this.enabled = this.wasOn = true;
  }

  private async recover() {
    if (this.closed) return;
    if (!this.listener) return this.connect();
    if (await this.reload()) this.on();
  }

  /** Resolves true once the newest schema is loaded. */
  private reload(): Promise<boolean> {
    // Until the newest reload lands, requests go to lite rather than run against the old schema.
    const run: Promise<boolean> = loadSchema(this.pool).then(
      (schema) => {
        if (this.loading !== run) return false;
        this.schema = schema;
        this.reads = new ReadCache(schema, this.maxRows);
        this.loading = null;
        return true;
      },
      (err: Error) => {
        if (this.loading === run) this.off(`its schema could not be read (${err.message})`);
        return false;
      },
    );
    this.loading = run;
    return run;
  }

  /** The answer, or null: lite must handle this request. */
  async serve(req: RequestParts, caller: Caller): Promise<FastAnswer | null> {
    if (!this.enabled || !this.schema || !this.reads || this.loading) return null;
    let plan: Plan | null;
    let query: Statement;
    if (req.method === "GET") {
      const read = this.reads.get(req);
      if (!read) return null;
      ({ plan, statement: query } = read);
    } else {
      plan = planRequest(req, this.schema);
      if (plan?.kind !== "insert") return null;
      query = insertStatement(plan);
    }
    let results: StatementRows;
    try {
      results = await this.statements.run([this.context(caller, plan.kind === "read"), query]);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // A cancelled statement is the answer, as lite (through the gateway) gives it: PostgREST's 57014,
      // a 500. Handing it to lite would run the request again and keep the caller waiting twice as long.
      if (code === "57014") return timedOut((err as Error).message);
      // A lost connection is not a database error: whether an insert committed is unknown, so running it
      // again in lite could write it twice. PostgREST answers 503 (PGRST001) and so does this.
      if (isConnectionError(err)) {
        this.log.debug(`${req.method} ${req.path}: connection lost (${(err as Error).message}); 503`);
        this.onConnectionLost?.((err as Error).message);
        return connectionLost((err as Error).message);
      }
      this.log.debug(`${req.method} ${req.path}: database error ${code ?? "?"} (${(err as Error).message}); lite answers instead`);
      // An unknown column or table means the cached schema is behind (a missed notification); catch up.
      if (code === "42703" || code === "42P01") void this.reload();
      return null;
    }
    return respond(plan, results[1]!);
  }

  private context(caller: Caller, read: boolean): Statement {
    let built = this.contexts.get(caller.claims);
    if (built?.role !== caller.role || built.timeouts !== this.timeouts.version) {
      const timeout = this.timeouts.for(caller.role);
      built = { role: caller.role, timeouts: this.timeouts.version, read: contextStatement(caller, true, timeout), write: contextStatement(caller, false, timeout) };
      this.contexts.set(caller.claims, built);
    }
    return read ? built.read : built.write;
  }

  async close() {
    this.closed = true;
    this.enabled = false;
    if (this.retry) clearTimeout(this.retry);
    const listener = this.listener;
    this.listener = null;
    if (listener) await endClient(listener);
    await this.pool.end();
  }
}

const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json; charset=utf-8";

/** PostgREST's answer when the connection fails mid-request (its SQL.ClientError). */
function connectionLost(details: string): FastAnswer {
  return {
    status: 503,
    headers: { "content-type": JSON_TYPE },
    body: JSON.stringify({ code: "PGRST001", details, hint: null, message: "Database client error. Retrying the connection." }),
  };
}

function timedOut(message: string): FastAnswer {
  return { status: 500, headers: { "content-type": JSON_TYPE }, body: JSON.stringify({ code: "57014", details: null, hint: null, message }) };
}

/** lite's status and headers for the answer (the equivalence test compares them). */
function respond(plan: Plan, rows: StatementRows[number]): FastAnswer | null {
  if (plan.kind === "insert") {
    const headers: Record<string, string> = { "content-range": "*/*" };
    if (plan.preferred) headers["preference-applied"] = `return=${plan.returning ? "representation" : "minimal"}`;
    // lite labels even an empty answer as JSON when no return mode was asked for.
    else headers["content-type"] = JSON_TYPE;
    if (!plan.returning) return { status: 201, headers, body: "" };
    const body = rows[0]![1]!;
    headers["content-type"] = plan.single ? OBJECT_TYPE : JSON_TYPE;
    return { status: 201, headers, body: plan.single ? body.slice(1, -1) : body };
  }
  const n = Number(rows[0]![0]);
  const body = rows[0]![1]!;
  if (plan.single) {
    // Zero or several rows is an error (PGRST116) whose exact shape lite knows; a read is safe to repeat.
    if (n !== 1) return null;
    return { status: 200, headers: { "content-type": OBJECT_TYPE, "content-range": `${plan.offset}-${plan.offset}/*` }, body: body.slice(1, -1) };
  }
  return {
    status: 200,
    headers: {
      "content-type": JSON_TYPE,
      "content-range": n === 0 ? "*/*" : `${plan.offset}-${plan.offset + n - 1}/*`,
      "content-location": plan.contentLocation,
    },
    body,
  };
}
