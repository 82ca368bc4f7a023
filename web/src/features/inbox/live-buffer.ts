import { isOlder } from "./row-version.ts";

/** A postgres_changes message on `feedback`, as realtime-js hands it over. */
export type LiveChange = { eventType: "INSERT" | "UPDATE" | "DELETE"; new: unknown; old: unknown };

type RowLike = { id: string; updated_at?: string | null };

const rowOf = (c: LiveChange) => (c.eventType === "DELETE" ? c.old : c.new) as RowLike;

/**
 * The newest known change of each row. Feedback ids are never reused, so a delete is final; among
 * upserts the newer `updated_at` wins, and on a tie the later arrival (Realtime delivers in commit order).
 */
export class ChangeBuffer {
  private byId = new Map<string, LiveChange>();

  get size(): number {
    return this.byId.size;
  }

  add(change: LiveChange): void {
    const id = rowOf(change)?.id;
    if (!id) return;
    const prev = this.byId.get(id);
    if (prev?.eventType === "DELETE") return;
    if (prev && change.eventType !== "DELETE" && isOlder(rowOf(change), rowOf(prev))) return;
    this.byId.set(id, change);
  }

  /** Empties the buffer and returns what it held. */
  take(): LiveChange[] {
    const out = [...this.byId.values()];
    this.byId.clear();
    return out;
  }
}

export type LiveSyncDeps = {
  /** Writes one change into every cached view that has data (a no-op for views still loading). */
  apply(change: LiveChange): void;
  /** Whether a fetch of any view is in flight: its answer may be a snapshot from before a change we already applied. */
  isFetching(): boolean;
};

/**
 * Keeps live changes from being lost to fetches. A change that arrives while a view is being
 * fetched is applied at once where it can be, and remembered; once no fetch is in flight, the
 * remembered changes are applied again. That covers a first page that had no cache to write into
 * yet, and a refetch whose older snapshot overwrote a change. Applying is an idempotent upsert that
 * never goes back to an older `updated_at`, so replaying a change a snapshot already holds is harmless.
 */
export function createLiveSync({ apply, isFetching }: LiveSyncDeps) {
  const pending = new ChangeBuffer();
  return {
    receive(change: LiveChange): void {
      apply(change);
      // Also while a replay is still due: the replay must end at this newer state, not an older one.
      if (isFetching() || pending.size) pending.add(change);
    },
    /** Call whenever a fetch may have finished; replays once nothing is in flight any more. */
    settle(): void {
      if (!pending.size || isFetching()) return;
      for (const change of pending.take()) apply(change);
    },
    get pending(): number {
      return pending.size;
    },
  };
}
