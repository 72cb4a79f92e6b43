import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { createReadQueue, queueLargeReads } from "./read-queue.js";

const NEVER = new AbortController().signal;

/** A read that records when it starts and ends, and finishes when `finish` is called. */
function controlledRead(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    read: async () => {
      log.push(`${name} start`);
      await done;
      log.push(`${name} end`);
      return name;
    },
    finish: () => finish(),
  };
}

describe("the read queue", () => {
  test("runs one read at a time, in the order they came", async () => {
    const queue = createReadQueue();
    const log: string[] = [];
    const a = controlledRead(log, "a");
    const b = controlledRead(log, "b");
    const first = queue.run(a.read, NEVER);
    const second = queue.run(b.read, NEVER);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(["a start"]);
    a.finish();
    expect(await first).toBe("a");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(["a start", "a end", "b start"]);
    b.finish();
    expect(await second).toBe("b");
  });

  test("a read starts only after the event loop has had a turn: what was already queued runs first", async () => {
    const queue = createReadQueue();
    const log: string[] = [];
    setImmediate(() => log.push("queued before"));
    await queue.run(async () => log.push("read"), NEVER);
    expect(log).toEqual(["queued before", "read"]);
  });

  test("a read whose call was cancelled while it waited does not run, and the next one does", async () => {
    const queue = createReadQueue();
    const log: string[] = [];
    const a = controlledRead(log, "a");
    const cancelled = new AbortController();
    const first = queue.run(a.read, NEVER);
    const skipped = queue.run(async () => log.push("skipped ran"), cancelled.signal);
    const third = queue.run(async () => "third", NEVER);
    cancelled.abort();
    a.finish();
    await first;
    const error = await skipped.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Canceled);
    expect(await third).toBe("third");
    expect(log).not.toContain("skipped ran");
  });

  test("a read that fails passes its turn on", async () => {
    const queue = createReadQueue();
    const failing = queue.run(() => Promise.reject(new Error("store down")), NEVER);
    const next = queue.run(async () => "next", NEVER);
    await expect(failing).rejects.toThrow("store down");
    expect(await next).toBe("next");
  });
});

describe("queueLargeReads", () => {
  test("only the large requests of the named handlers wait in the queue", async () => {
    const log: string[] = [];
    const blocker = controlledRead(log, "blocker");
    const queue = createReadQueue();
    const handlers = queueLargeReads(
      {
        list: async (request: { size: number }, _context: { signal: AbortSignal }) => `list ${request.size}`,
        get: async (request: { id: string }, _context: { signal: AbortSignal }) => `get ${request.id}`,
      },
      { list: (request: { size: number }) => request.size > 100 },
      queue,
    );
    const blocked = queue.run(blocker.read, NEVER);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Small list and get answer at once, while the queue is busy; the large list waits.
    expect(await handlers.list({ size: 10 }, { signal: NEVER })).toBe("list 10");
    expect(await handlers.get({ id: "x" }, { signal: NEVER })).toBe("get x");
    let largeDone = false;
    const large = handlers.list({ size: 1000 }, { signal: NEVER }).then((answer) => {
      largeDone = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(largeDone).toBe(false);
    blocker.finish();
    await blocked;
    expect(await large).toBe("list 1000");
  });
});
