import { accessSync, constants, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { StatusConfiguration } from "../core/index.js";
import { createMemoryStore } from "./memory-store.js";
import { createRedisStore } from "./redis/redis-store.js";
import { createSqliteStore } from "./sqlite-store.js";
import type { StatusStore, StoreObserver } from "./store.js";

/** A `--store` value that names no backend. */
export class StoreSpecError extends Error {
  override name = "StoreSpecError";
}

/** A store that cannot be opened: the message names it and says why. */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/** The stat of a path, or undefined when there is nothing there (or a file where a folder should be). */
function statIfThere(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw error;
  }
}

/** What is wrong with a SQLite database path, as far as the file system says; undefined if nothing. */
function sqlitePathProblem(path: string): string | undefined {
  const stat = statIfThere(path);
  if (stat?.isDirectory()) return "it is a directory";
  const folder = dirname(resolve(path));
  const folderStat = statIfThere(folder);
  if (folderStat === undefined) return `its directory ${folder} does not exist`;
  if (!folderStat.isDirectory()) return `${folder} is not a directory`;
  try {
    // SQLite writes the file and, beside it, its -wal and -shm files, and the store its -lock file.
    accessSync(stat === undefined ? folder : path, constants.R_OK | constants.W_OK);
    accessSync(folder, constants.W_OK);
  } catch (error) {
    return `permission denied (${(error as NodeJS.ErrnoException).code})`;
  }
  return undefined;
}

/**
 * SQLite's own errors at open ("unable to open database file") name neither the file nor the
 * cause: say both when the file system shows what is wrong, else pass the error on.
 */
function sqliteOpenError(path: string, error: unknown): unknown {
  const problem = sqlitePathProblem(path);
  return problem === undefined
    ? error
    : new StoreOpenError(`cannot open the SQLite store ${JSON.stringify(path)}: ${problem}`, { cause: error });
}

/** Options of the store to open; some are read only by some backends. */
export interface OpenStoreOptions {
  /** The state machine and the server's own transitions (default: pynenc's). */
  readonly config?: StatusConfiguration;
  /** Key prefix of the Redis backend. */
  readonly redisPrefix: string;
  /** When the SQLite backend answers: once on disk (`full`) or once in the WAL (`normal`). */
  readonly sqliteSynchronous?: "full" | "normal";
  /** Told how the backend's commits go (the server's metrics). */
  readonly observer?: StoreObserver;
  /** Open the SQLite file without `PRAGMA quick_check` (huge files). */
  readonly sqliteSkipQuickCheck?: boolean;
}

/** Open the store a `--store` value names: `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`. */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<StatusStore> {
  const { config, observer } = options;
  if (spec === "memory") return createMemoryStore({ config, observer });
  if (spec.startsWith("sqlite:") && spec.length > "sqlite:".length) {
    const path = spec.slice("sqlite:".length);
    try {
      return createSqliteStore(path, {
        synchronous: options.sqliteSynchronous,
        config,
        observer,
        skipQuickCheck: options.sqliteSkipQuickCheck,
      });
    } catch (error) {
      throw sqliteOpenError(path, error);
    }
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    return createRedisStore(spec, { prefix: options.redisPrefix, config, observer });
  }
  throw new StoreSpecError(`Unknown store ${JSON.stringify(spec)}: use memory, sqlite:PATH or redis://HOST:PORT/DB`);
}
