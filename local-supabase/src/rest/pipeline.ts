import { CompiledQuery, PostgresDriver, type DatabaseConnection, type QueryResult } from "kysely";

/**
 * A REST request under lite is BEGIN, the JWT context, the query and COMMIT: four round trips to
 * Postgres, each one a wake-up of Postgres and of Node. BEGIN need not wait alone: it is held back
 * and sent in the same write as the transaction's first statement when that statement is the
 * request's JWT context (harmless even outside a transaction: it only sets transaction-local
 * settings). Any other first statement waits for BEGIN as before, so a failed BEGIN can never let a
 * write run outside its transaction. A transaction that ends before any statement sends nothing.
 *
 * The patch is on kysely's PostgresDriver (lite 0.10's postgres driver extends it; both pinned).
 */
const pendingBegin = new WeakSet<DatabaseConnection>();
const wrapped = new WeakSet<DatabaseConnection>();
const PATCHED = Symbol.for("local-supabase.pipelined-begin");

export function pipelineTransactionStart(isContextStatement: (sql: string) => boolean) {
  const proto = PostgresDriver.prototype as PostgresDriver & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const { beginTransaction, commitTransaction, rollbackTransaction } = proto;

  proto.beginTransaction = async function (connection, settings) {
    if (settings.isolationLevel || settings.accessMode) return beginTransaction.call(this, connection, settings);
    if (!wrapped.has(connection)) wrap(connection, isContextStatement);
    pendingBegin.add(connection);
  };
  proto.commitTransaction = async function (connection) {
    if (!pendingBegin.delete(connection)) await commitTransaction.call(this, connection);
  };
  proto.rollbackTransaction = async function (connection) {
    if (!pendingBegin.delete(connection)) await rollbackTransaction.call(this, connection);
  };
}

function wrap(connection: DatabaseConnection, isContextStatement: (sql: string) => boolean) {
  wrapped.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    if (!pendingBegin.delete(connection)) return execute<R>(query);
    const begin = execute(CompiledQuery.raw("begin"));
    if (!isContextStatement(query.sql)) {
      await begin;
      return execute<R>(query);
    }
    // Both are queued before either is awaited: postgres.js writes them together.
    const [, result] = await Promise.all([begin, execute<R>(query)]);
    return result;
  };
}
