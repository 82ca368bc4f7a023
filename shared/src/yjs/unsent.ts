import { fromBase64, toBase64 } from "lib0/buffer";

/**
 * Where a provider keeps its own edits that are not stored yet when the page goes away (closed, reloaded,
 * discarded while offline), so the next session of the same user on the same document stores them.
 */
export interface UnsentStore {
  /** What an earlier session left, or null. */
  load(): Uint8Array | null;
  /** Replaces what is kept; null when nothing is left to keep. */
  save(update: Uint8Array | null): void;
}

type StorageLike = { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void };

/**
 * An UnsentStore in the browser's localStorage: synchronous, so it can be written in `pagehide`, when
 * an asynchronous write (IndexedDB, a request) may never finish. The key must name the user as well as
 * the document: another user signing in on this browser must not store these edits as theirs.
 */
export function localStorageUnsent(key: string, storage: StorageLike | undefined = (globalThis as { localStorage?: StorageLike }).localStorage): UnsentStore | undefined {
  if (!storage) return undefined;
  return {
    load() {
      try {
        const v = storage.getItem(key);
        return v ? fromBase64(v) : null;
      } catch {
        return null;
      }
    },
    save(update) {
      try {
        if (update) storage.setItem(key, toBase64(update));
        else storage.removeItem(key);
      } catch {
        // Quota or privacy mode: the edits still go to the database if the page lives long enough.
      }
    },
  };
}
