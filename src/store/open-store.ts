import { createMemoryStore } from "./memory-store.js";
import { createRedisStore } from "./redis/redis-store.js";
import { createSqliteStore } from "./sqlite-store.js";
import type { StatusStore } from "./store.js";

/** A `--store` value that names no backend. */
export class StoreSpecError extends Error {
  override name = "StoreSpecError";
}

/** Options that only some backends read. */
export interface OpenStoreOptions {
  /** Key prefix of the Redis backend. */
  readonly redisPrefix?: string;
  /** When the SQLite backend answers: once on disk (`full`) or once in the WAL (`normal`). */
  readonly sqliteSynchronous?: "full" | "normal";
}

/** Open the store a `--store` value names: `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`. */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<StatusStore> {
  if (spec === "memory") return createMemoryStore();
  if (spec.startsWith("sqlite:") && spec.length > "sqlite:".length) {
    return createSqliteStore(spec.slice("sqlite:".length), { synchronous: options.sqliteSynchronous });
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    return createRedisStore(spec, { prefix: options.redisPrefix });
  }
  throw new StoreSpecError(`Unknown store ${JSON.stringify(spec)}: use memory, sqlite:PATH or redis://HOST:PORT/DB`);
}
