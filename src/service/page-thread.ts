import { Worker } from "node:worker_threads";
import type { StoredRecord } from "../store/index.js";
import type { InvocationPagePlan } from "../store/sqlite/sqlite-invocation-page.js";

/** What the page thread is asked: read `plan` from the file at `path`, and answer its first `size` records. */
export interface PageRequest {
  readonly id: number;
  readonly path: string;
  readonly plan: InvocationPagePlan;
  readonly size: number;
}

/** A page read on the page thread: its records only encoded, as a response's `records` field. */
export interface EncodedPage {
  readonly revision: number;
  /** The records, as field 1 of a response message (every page response's `records`). */
  readonly encoded: Uint8Array;
  /** Whether the plan read more records than the page holds: there is a next page. */
  readonly more: boolean;
  /** The page's last record, which the next page's token continues after. */
  readonly last: StoredRecord | undefined;
}

/** The page thread's answer to one request. */
export type PageReply = ({ readonly id: number } & EncodedPage) | { readonly id: number; readonly error: string };

/** Reads pages of a SQLite store's file on a thread of their own. */
export interface PageThread {
  /** The page `plan` reads, at most `size` records of it; rejects if the thread could not read it. */
  read(plan: InvocationPagePlan, size: number): Promise<EncodedPage>;
  /** Whether reads should go to the thread: false once the thread itself failed. */
  readonly usable: boolean;
  /** End the thread (and its connection); a later read starts it again. */
  close(): void;
}

/**
 * Start the thread: its compiled entry module, beside this one, or from the sources (run through
 * tsx) a bootstrap that loads it through tsx.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith(".ts");
  return new Worker(new URL(fromSources ? "./page-thread-from-sources.mjs" : "./page-thread-main.js", import.meta.url));
}

/**
 * Read large pages of the SQLite file at `path` on a worker thread, with a read-only connection of
 * its own. Reading 1,000 rows, converting and encoding them costs the thread that answers calls
 * 5-11 ms; here it costs that thread one message. The thread starts at the first read, and does not
 * keep the process alive. A read it fails is rejected and `onError` hears of it; if the thread
 * itself fails (it cannot start), `usable` turns false: the caller then reads pages itself, as for
 * any other store.
 */
export function createPageThread(path: string, onError: (error: unknown) => void): PageThread {
  /** The running thread, and the reads it has not answered yet. */
  type Running = { readonly worker: Worker; readonly waiting: Map<number, (reply: PageReply | Error) => void> };
  let running: Running | undefined;
  let failed = false;
  let nextId = 0;

  function start(): Running {
    const worker = startWorker();
    worker.unref();
    const waiting: Running["waiting"] = new Map();
    worker.on("message", (reply: PageReply) => {
      waiting.get(reply.id)?.(reply);
      waiting.delete(reply.id);
    });
    worker.on("error", (error) => {
      if (!failed) onError(error);
      failed = true;
    });
    worker.on("exit", (code) => {
      if (running?.worker === worker) running = undefined;
      for (const answer of waiting.values()) answer(new Error(`the page thread exited (code ${code})`));
      waiting.clear();
    });
    return { worker, waiting };
  }

  return {
    read(plan, size) {
      running ??= start();
      const { worker, waiting } = running;
      const id = nextId++;
      return new Promise<EncodedPage>((resolve, reject) => {
        waiting.set(id, (reply) => {
          if (reply instanceof Error) return reject(reply);
          if (!("error" in reply)) return resolve(reply);
          const error = new Error(`the page thread could not read a page of ${path}: ${reply.error}`);
          onError(error);
          reject(error);
        });
        worker.postMessage({ id, path, plan, size } satisfies PageRequest);
      });
    },
    get usable() {
      return !failed;
    },
    close() {
      const stopping = running;
      running = undefined;
      void stopping?.worker.terminate();
    },
  };
}
