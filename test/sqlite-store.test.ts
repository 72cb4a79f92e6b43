import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../src/core/index.js";
import { createSqliteStore, type StoredChange, StoreLockedError, type TransitionCommand } from "../src/store/index.js";
import { describeStoreContract } from "./store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function command(invocationId: string, status: S, runnerId: string | null = null): TransitionCommand {
  return { invocationId, status, runnerId, taskId: "" };
}

describeStoreContract("sqlite", (options) => createSqliteStore(join(dir, `contract-${n++}.db`), options));

describe("sqlite store on disk", () => {
  test("records, history and revisions carry on after a reopen", async () => {
    const path = join(dir, "reopen.db");
    const first = createSqliteStore(path);
    await first.transition({ invocationId: "a", status: S.REGISTERED, runnerId: null, taskId: "t" });
    await first.transition({ invocationId: "a", status: S.PENDING, runnerId: "r1", taskId: "" });
    await first.close();
    const second = createSqliteStore(path);
    expect(second.currentRevision()).toBe(2);
    expect(await second.get("a")).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2, taskId: "t" });
    const next = await second.transition({ invocationId: "a", status: S.RUNNING, runnerId: "r1", taskId: "" });
    expect(next.record.revision).toBe(3);
    expect((await second.readHistory("a")).map((c) => c.record.revision)).toEqual([1, 2, 3]);
    await second.close();
  });

  test("transitions that arrive together commit in one group, each validated after the one before", async () => {
    const store = createSqliteStore(join(dir, "group.db"));
    const results = await Promise.allSettled([
      store.transition({ invocationId: "g", status: S.REGISTERED, runnerId: null, taskId: "" }),
      store.transition({ invocationId: "g", status: S.PENDING, runnerId: "r1", taskId: "" }),
      store.transition({ invocationId: "g", status: S.PENDING, runnerId: "r2", taskId: "" }),
      store.transition({ invocationId: "g", status: S.RUNNING, runnerId: "r1", taskId: "" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((await store.get("g"))?.revision).toBe(3);
    await store.close();
  });

  test("an operation that fails after writing is rolled back alone: the rest of its group commits, revisions stay dense", async () => {
    const path = join(dir, "savepoint.db");
    // A clock that fails once, on a chosen call: each change a store makes reads it once, so a
    // claim of two invocations fails after it has written the first claim.
    let calls = 0;
    let failOnCall = 0;
    const store = createSqliteStore(path, {
      now: () => {
        calls++;
        if (calls === failOnCall) throw new Error("the clock failed");
        return new Date("2026-01-01T00:00:00Z");
      },
    });
    for (const id of ["a", "b", "c", "x"]) await store.transition(command(id, S.REGISTERED));
    const published: StoredChange[] = [];
    store.subscribe((change) => published.push(change));

    calls = 0;
    failOnCall = 3; // 1: x to PENDING, 2: the claim of a (written), 3: the claim of b
    const results = await Promise.allSettled([
      store.transition(command("x", S.PENDING, "r1")),
      store.claimAvailable({ runnerId: "r2", maxCount: 2, taskId: "" }),
      store.transition(command("c", S.PENDING, "r3")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: "the clock failed" });
    // The others committed under the next revisions, with no gap where the claim's would have been.
    const revisions = results.flatMap((r) =>
      r.status === "fulfilled" ? [(r.value as StoredChange).record.revision] : [],
    );
    expect(revisions).toEqual([5, 6]);
    expect(store.currentRevision()).toBe(6);
    // The failed claim left nothing: a is as it was, still available, with no second history entry.
    expect(await store.get("a")).toMatchObject({ status: S.REGISTERED, runnerId: null, revision: 1 });
    expect((await store.readHistory("a")).map((c) => c.record.revision)).toEqual([1]);
    const available = await store.listAvailableForRun({ afterRevision: 0, limit: 10, taskId: "" });
    expect(available.records.map((r) => r.invocationId)).toEqual(["a", "b"]);
    // What watchers were sent is exactly what the store holds: every revision, each once.
    const stored = await store.readChanges(1, 100);
    expect(stored.map((c) => c.record.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(published).toEqual(stored.slice(4));
    await store.close();

    // On disk too: a reopened store goes on from revision 6.
    const reopened = createSqliteStore(path);
    expect(reopened.currentRevision()).toBe(6);
    expect((await reopened.readChanges(1, 100)).map((c) => c.record.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      (await reopened.claimAvailable({ runnerId: "r2", maxCount: 2, taskId: "" })).map((c) => c.record.revision),
    ).toEqual([7, 8]);
    await reopened.close();
  });

  test("a second server on the same file is refused, and can open it once the first closes", async () => {
    const path = join(dir, "locked.db");
    const first = createSqliteStore(path);
    expect(() => createSqliteStore(path)).toThrow(StoreLockedError);
    await first.close();
    const second = createSqliteStore(path);
    await second.close();
  });
});
