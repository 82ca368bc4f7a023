import { describe, expect, it } from "vitest";
import { CompiledQuery, PostgresDriver, type DatabaseConnection, type QueryResult } from "kysely";
import { pipelineTransactionStart } from "./pipeline.ts";

const CONTEXT = "select set_config('role', $1, true)";
pipelineTransactionStart((sql) => sql.startsWith(CONTEXT));

/** A connection that records what was sent and when each statement's answer came back. */
function recordingConnection() {
  const log: string[] = [];
  const pending: Array<() => void> = [];
  const connection: DatabaseConnection = {
    executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      log.push(`send ${q.sql}`);
      return new Promise((resolve) => pending.push(() => (log.push(`done ${q.sql}`), resolve({ rows: [] }))));
    },
    async *streamQuery() {},
  };
  const answerAll = async () => {
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { connection, log, answerAll };
}

const driver = new PostgresDriver({ pool: {} as never });

describe("pipelined transaction start", () => {
  it("sends BEGIN together with the JWT context, before either answers", async () => {
    const { connection, log, answerAll } = recordingConnection();
    await driver.beginTransaction(connection, {});
    expect(log).toEqual([]);
    const context = connection.executeQuery(CompiledQuery.raw(`${CONTEXT}, 1`));
    expect(log).toEqual(["send begin", `send ${CONTEXT}, 1`]);
    await answerAll();
    await context;
    const query = connection.executeQuery(CompiledQuery.raw("select 1"));
    expect(log.at(-1)).toBe("send select 1");
    await answerAll();
    await query;
  });

  it("lets any other first statement wait for BEGIN's answer", async () => {
    const { connection, log, answerAll } = recordingConnection();
    await driver.beginTransaction(connection, {});
    const insert = connection.executeQuery(CompiledQuery.raw("insert into t values (1)"));
    expect(log).toEqual(["send begin"]);
    await answerAll();
    await answerAll();
    await insert;
    expect(log).toEqual(["send begin", "done begin", "send insert into t values (1)", "done insert into t values (1)"]);
  });

  it("sends nothing for a transaction that ends before its first statement", async () => {
    const { connection, log } = recordingConnection();
    await driver.beginTransaction(connection, {});
    await driver.commitTransaction(connection);
    await driver.beginTransaction(connection, {});
    await driver.rollbackTransaction(connection);
    expect(log).toEqual([]);
  });

  it("starts transactions with settings at once, as kysely does", async () => {
    const { connection, log, answerAll } = recordingConnection();
    const begun = driver.beginTransaction(connection, { isolationLevel: "serializable" });
    expect(log).toEqual(["send start transaction isolation level serializable"]);
    await answerAll();
    await begun;
  });
});
