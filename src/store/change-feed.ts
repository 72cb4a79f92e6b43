import type { ChangeListener, StoredChange } from "./store.js";

/** The in-process fan-out of committed changes that every backend publishes to. */
export interface ChangeFeed {
  subscribe(listener: ChangeListener): () => void;
  publish(change: StoredChange): void;
}

/** Create a change feed; a listener that throws is logged nowhere and never stops the others. */
export function createChangeFeed(): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(change) {
      for (const listener of listeners) {
        try {
          listener(change);
        } catch {
          // A watcher's failure is its own; the store and other watchers go on.
        }
      }
    },
  };
}
