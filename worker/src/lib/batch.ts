/**
 * Group commit for row writes on a hot path: rows added while a write is in flight (or in the same turn
 * of the event loop) go out together in the next one, so a burst of N rows costs a few statements, not N
 * round trips and N commits (and N runs of any statement-level trigger). Under no load a row is written
 * at once (next turn), so this adds no latency; there is no timer to tune.
 *
 * add() resolves once that row's write committed and rejects if it failed: a caller that awaits it keeps
 * "stored when it returns" semantics. A failed multi-row write is retried one row at a time, so one bad
 * row (a tenant deleted meanwhile) fails alone. drain() waits for everything added so far.
 */
export type Batcher<T> = {
  add(row: T): Promise<void>;
  drain(): Promise<void>;
  /** Rows added and not yet written. */
  readonly pending: number;
};

type Entry<T> = { row: T; resolve: () => void; reject: (err: unknown) => void };

export function createBatcher<T>(write: (rows: T[]) => Promise<void>, opts: { maxRows?: number } = {}): Batcher<T> {
  const maxRows = opts.maxRows ?? 500;
  let queue: Entry<T>[] = [];
  let inFlight = 0;
  let running: Promise<void> | null = null;
  let scheduled = false;

  async function writeBatch(batch: Entry<T>[]) {
    try {
      await write(batch.map((e) => e.row));
      for (const e of batch) e.resolve();
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const e of batch) {
        try {
          await write([e.row]);
          e.resolve();
        } catch (one) {
          e.reject(one);
        }
      }
    }
  }

  async function run() {
    while (queue.length) {
      const batch = queue.slice(0, maxRows);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      await writeBatch(batch);
      inFlight = 0;
    }
  }

  function kick() {
    if (running || scheduled) return;
    scheduled = true;
    // One turn of the event loop: rows finishing in the same I/O callbacks join the first write.
    setImmediate(() => {
      scheduled = false;
      running = run().finally(() => {
        running = null;
        if (queue.length) kick();
      });
    });
  }

  return {
    get pending() {
      return queue.length + inFlight;
    },
    add(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (running || scheduled || queue.length) {
        if (running) await running;
        else await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
