import { statSync } from "node:fs";
import { StoreFileGoneError } from "./errors.js";

/** Options of a file identity watch. */
export interface FileIdentityOptions {
  /** How often the path is looked at between checks (writes also check before they commit). */
  readonly intervalMs: number;
}

/** Watches that the file at a path is still the one the store opened. */
export interface FileIdentity {
  /** Throw StoreFileGoneError (the same one every time) unless the path still names the opened file. */
  check(): void;
  /** Resolves with the error once the file is found gone or replaced, by check() or by the timer. */
  readonly gone: Promise<StoreFileGoneError>;
  /** Stop the timer. */
  stop(): void;
}

function identityOf(path: string): string | undefined {
  const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  return stats && `${stats.dev}:${stats.ino}`;
}

/**
 * Remember which file (device and inode) `path` names now, the file just opened, and notice when
 * that changes: the file deleted, renamed away, or replaced by another. A server that goes on
 * writing to a file nobody can open any more acknowledges writes that are lost, and lets a second
 * server start on the same path; a stat per check is cheap next to a commit.
 */
export function watchFileIdentity(path: string, options: FileIdentityOptions): FileIdentity {
  const opened = identityOf(path);
  let error: StoreFileGoneError | undefined;
  let markGone!: (error: StoreFileGoneError) => void;
  const gone = new Promise<StoreFileGoneError>((resolve) => (markGone = resolve));

  function check(): void {
    if (error === undefined) {
      const now = identityOf(path);
      if (now === opened) return;
      error = new StoreFileGoneError(
        `${path} was ${now === undefined ? "deleted" : "replaced by another file"} while the server had it open; ` +
          "no write is accepted any more: restart the server",
      );
      clearInterval(timer);
      markGone(error);
    }
    throw error;
  }

  const timer = setInterval(() => {
    try {
      check();
    } catch {
      // Reported through `gone`.
    }
  }, options.intervalMs);
  timer.unref();
  return { check, gone, stop: () => clearInterval(timer) };
}
