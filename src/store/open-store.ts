import type { StatusConfiguration } from "../core/index.js";
import { createMemoryStore } from "./memory-store.js";
import { createRedisStore } from "./redis/redis-store.js";
import { createSqliteStore } from "./sqlite-store.js";
import type { StatusStore } from "./store.js";

/** A `--store` value that names no backend. */
export class StoreSpecError extends Error {
  override name = "StoreSpecError";
}

/** Options of the store to open; some are read only by some backends. */
export interface OpenStoreOptions {
  /** The state machine and the server's own transitions (default: pynenc's). */
  readonly config?: StatusConfiguration;
  /** Key prefix of the Redis backend. */
  readonly redisPrefix: string;
  /** When the SQLite backend answers: once on disk (`full`) or once in the WAL (`normal`). */
  readonly sqliteSynchronous?: "full" | "normal";
}

/** Open the store a `--store` value names: `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`. */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<StatusStore> {
  const { config } = options;
  if (spec === "memory") return createMemoryStore({ config });
  if (spec.startsWith("sqlite:") && spec.length > "sqlite:".length) {
    return createSqliteStore(spec.slice("sqlite:".length), { synchronous: options.sqliteSynchronous, config });
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    return createRedisStore(spec, { prefix: options.redisPrefix, config });
  }
  throw new StoreSpecError(`Unknown store ${JSON.stringify(spec)}: use memory, sqlite:PATH or redis://HOST:PORT/DB`);
}
