import { setImmediate as nextTurn } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Runs large reads (pages of up to thousands of records) one after another, each after the event
 * loop has had a turn. A page takes a few milliseconds of CPU that cannot be split (reading the
 * rows, converting them, encoding the response); twenty clients paging at once would otherwise
 * run twenty pages back to back in one turn of the loop, and every Get and Transition that arrived
 * meanwhile would wait for all of them. In the queue they wait instead, with the loop free, and a
 * small call waits for one page at most.
 */
export interface ReadQueue {
  /** Run `read` when the reads before it are done; a call whose signal aborts meanwhile does not run. */
  run<T>(read: () => Promise<T>, signal: AbortSignal): Promise<T>;
}

/** Create a queue that runs `concurrency` reads at a time. */
export function createReadQueue(concurrency = 1): ReadQueue {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next(); // the slot passes on
  };
  return {
    async run(read, signal) {
      if (running < concurrency) running++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        // The loop's turn: what arrived meanwhile (a Get, a Transition) is read and answered first.
        await nextTurn();
        if (signal.aborted) throw new ConnectError("the call was cancelled while it waited", Code.Canceled);
        return await read();
      } finally {
        release();
      }
    },
  };
}

/** For some handlers, whether a request reads enough to wait in the queue. */
export type LargeReads<H> = { readonly [K in keyof H]?: (request: never) => boolean };

/** The same handlers, with the large requests of those in `large` run through `queue`. */
export function queueLargeReads<H extends object>(handlers: H, large: LargeReads<H>, queue: ReadQueue): H {
  const queued = { ...handlers };
  for (const name of Object.keys(large) as (keyof H)[]) {
    const handler = handlers[name] as (request: unknown, context: { signal: AbortSignal }) => Promise<unknown>;
    const isLarge = large[name] as (request: unknown) => boolean;
    const run = (request: unknown, context: { signal: AbortSignal }) =>
      isLarge(request) ? queue.run(() => handler(request, context), context.signal) : handler(request, context);
    queued[name] = run as H[keyof H];
  }
  return queued;
}
