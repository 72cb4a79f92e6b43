import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, test } from "vitest";
import { PYNENC_0_3_STATUS_CONFIG, InvocationStatus as S } from "../src/core/index.js";
import {
  createSqliteStore,
  StateMachineProfileMismatchError,
  type StoredChange,
  StoreLockedError,
  type TransitionCommand,
} from "../src/store/index.js";
import { describeStoreContract } from "./store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const NS = "";

function command(invocationId: string, status: S, runnerId: string | null = null, taskId = ""): TransitionCommand {
  return { namespace: NS, invocationId, status, runnerId, taskId };
}

describeStoreContract("sqlite", (options) => createSqliteStore(join(dir, `contract-${n++}.db`), options));

describe("sqlite store on disk", () => {
  test("records, history and revisions carry on after a reopen", async () => {
    const path = join(dir, "reopen.db");
    const first = createSqliteStore(path);
    await first.transition(command("a", S.REGISTERED, null, "t"));
    await first.transition(command("a", S.PENDING, "r1"));
    await first.close();
    const second = createSqliteStore(path);
    expect(second.currentRevision()).toBe(2);
    expect(await second.get(NS, "a")).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2, taskId: "t" });
    const next = await second.transition(command("a", S.RUNNING, "r1"));
    expect(next.record.revision).toBe(3);
    expect((await second.readHistory(NS, "a")).map((c) => c.record.revision)).toEqual([1, 2, 3]);
    await second.close();
  });

  test("transitions that arrive together commit in one group, each validated after the one before", async () => {
    const store = createSqliteStore(join(dir, "group.db"));
    const results = await Promise.allSettled([
      store.transition(command("g", S.REGISTERED)),
      store.transition(command("g", S.PENDING, "r1")),
      store.transition(command("g", S.PENDING, "r2")),
      store.transition(command("g", S.RUNNING, "r1")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((await store.get(NS, "g"))?.revision).toBe(3);
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
      store.claimAvailable({ namespace: NS, runnerId: "r2", maxCount: 2, taskId: "" }),
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
    expect(await store.get(NS, "a")).toMatchObject({ status: S.REGISTERED, runnerId: null, revision: 1 });
    expect((await store.readHistory(NS, "a")).map((c) => c.record.revision)).toEqual([1]);
    const available = await store.listAvailableForRun({ namespace: NS, afterRevision: 0, limit: 10, taskId: "" });
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
      (await reopened.claimAvailable({ namespace: NS, runnerId: "r2", maxCount: 2, taskId: "" })).map(
        (c) => c.record.revision,
      ),
    ).toEqual([7, 8]);
    await reopened.close();
  });

  test("compaction of a large backlog runs in bounded steps, with other calls answered in between", async () => {
    const store = createSqliteStore(join(dir, "compact-steps.db"));
    for (let i = 0; i < 12_000; i += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, k) => store.transition(command(`c-${i + k}`, S.REGISTERED))));
    }
    const order: string[] = [];
    const compaction = store.compact({ maxChanges: 10 }).then((result) => {
      order.push("compaction");
      return result;
    });
    await store.transition(command("meanwhile", S.REGISTERED)).then(() => order.push("transition"));
    const result = await compaction;
    expect(order).toEqual(["transition", "compaction"]);
    expect(result.changesRemoved).toBeGreaterThanOrEqual(11_990);
    expect(result.oldestRevision).toBe(store.oldestRevision());
    expect(store.oldestRevision()).toBeGreaterThan(11_990);
    await store.close();
  });

  test("a second server on the same file is refused, and can open it once the first closes", async () => {
    const path = join(dir, "locked.db");
    const first = createSqliteStore(path);
    expect(() => createSqliteStore(path)).toThrow(StoreLockedError);
    await first.close();
    const second = createSqliteStore(path);
    await second.close();
  });

  test("while it is open, another program may read the file and back it up, with every answered change", async () => {
    const path = join(dir, "read-by-others.db");
    const store = createSqliteStore(path);
    await store.transition(command("a", S.REGISTERED, null, "t"));
    await store.transition(command("a", S.PENDING, "r1"));
    const reader = new Database(path, { readonly: true, fileMustExist: true });
    expect(reader.prepare("SELECT status, runner_id FROM records WHERE invocation_id = 'a'").get()).toEqual({
      status: "pending",
      runner_id: "r1",
    });
    await reader.backup(join(dir, "backup.db"));
    reader.close();
    expect(() => createSqliteStore(path)).toThrow(StoreLockedError);
    await store.close();
    const copy = createSqliteStore(join(dir, "backup.db"));
    expect(await copy.get(NS, "a")).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2 });
    await copy.close();
  });

  test.each(["normal", "full"] as const)(
    "with synchronous %s, what was answered is there after a reopen",
    async (mode) => {
      const path = join(dir, `synchronous-${mode}.db`);
      const first = createSqliteStore(path, { synchronous: mode });
      await first.batchTransition([command("a", S.REGISTERED), command("b", S.REGISTERED)]);
      await first.transition(command("a", S.PENDING, "r1"));
      await first.close();
      const second = createSqliteStore(path, { synchronous: mode });
      expect((await second.batchGet(NS, ["a", "b"])).records.map((r) => [r.invocationId, r.status])).toEqual([
        ["a", S.PENDING],
        ["b", S.REGISTERED],
      ]);
      await second.close();
    },
  );

  test("a batch is one commit: its changes are published together, at the batch's last revision", async () => {
    const store = createSqliteStore(join(dir, "batch.db"));
    const seenAt: number[] = [];
    store.subscribe(() => seenAt.push(store.currentRevision()));
    const results = await store.batchTransition(
      Array.from({ length: 1_000 }, (_, i) => command(`b-${i}`, S.REGISTERED, null, "t")),
    );
    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    expect(seenAt.length).toBe(1_000);
    expect(new Set(seenAt)).toEqual(new Set([1_000]));
    await store.close();
  });

  test("a file keeps the state machine it was made with, and its page-token secret", async () => {
    const path = join(dir, "profile.db");
    const first = createSqliteStore(path, { config: PYNENC_0_3_STATUS_CONFIG });
    const secret = Buffer.from(first.pageTokenSecret());
    await first.transition(command("a", S.REGISTERED));
    await first.close();
    let error: unknown;
    try {
      createSqliteStore(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateMachineProfileMismatchError);
    expect(error).toMatchObject({ location: path, storedProfile: "pynenc-0.3", requestedProfile: "pynenc-0.2" });
    // The refusal released the file.
    const second = createSqliteStore(path, { config: PYNENC_0_3_STATUS_CONFIG });
    expect(second.pageTokenSecret().equals(secret)).toBe(true);
    expect(second.config).toBe(PYNENC_0_3_STATUS_CONFIG);
    await second.close();
  });

  test("counts are counted once at open and kept from there", async () => {
    const path = join(dir, "counts.db");
    const first = createSqliteStore(path);
    for (const [namespace, task] of [
      ["", "t1"],
      ["", "t2"],
      ["app", "t1"],
    ] as const) {
      await first.batchTransition(
        Array.from({ length: 5 }, (_, i) => ({ ...command(`${task}-${i}`, S.REGISTERED, null, task), namespace })),
      );
    }
    await first.claimAvailable({ namespace: NS, runnerId: "r1", maxCount: 3, taskId: "t2" });
    const before = await Promise.all([
      first.countInvocations(NS),
      first.countInvocations(NS, "t2"),
      first.countInvocations("app"),
    ]);
    await first.close();
    const second = createSqliteStore(path);
    const after = await Promise.all([
      second.countInvocations(NS),
      second.countInvocations(NS, "t2"),
      second.countInvocations("app"),
    ]);
    expect(after).toEqual(before);
    expect(after[1].counts.get(S.PENDING)).toBe(3);
    await second.transition(command("t2-0", S.RUNNING, "r1"));
    expect((await second.countInvocations(NS, "t2")).counts.get(S.PENDING)).toBe(2);
    await second.close();
  });

  test("the store's clock never goes back, not across a reopen either", async () => {
    const path = join(dir, "clock.db");
    let clockMs = Date.parse("2026-01-01T12:00:00Z");
    const first = createSqliteStore(path, { now: () => new Date(clockMs) });
    await first.transition(command("a", S.REGISTERED));
    await first.close();
    clockMs -= 3_600_000; // the machine's clock was set back an hour
    const second = createSqliteStore(path, { now: () => new Date(clockMs) });
    const change = await second.transition(command("b", S.REGISTERED));
    expect(change.record.timestamp).toEqual(new Date("2026-01-01T12:00:00Z"));
    await second.close();
  });

  test("compaction deletes in bounded steps, other calls get in between, and what it kept survives a reopen", async () => {
    const path = join(dir, "compaction.db");
    const store = createSqliteStore(path);
    const total = 12_000;
    for (let start = 0; start < total; start += 1_000) {
      await store.batchTransition(Array.from({ length: 1_000 }, (_, i) => command(`c-${start + i}`, S.REGISTERED)));
    }
    const order: string[] = [];
    const compaction = store.compact({ maxChanges: 0 }).then((result) => {
      order.push("compaction");
      return result;
    });
    await new Promise((resolve) => setImmediate(resolve)); // the first step has run
    const transition = store.transition(command("late", S.REGISTERED)).then((change) => {
      order.push("transition");
      return change;
    });
    const [result, late] = await Promise.all([compaction, transition]);
    expect(order).toEqual(["transition", "compaction"]);
    expect(result).toMatchObject({ changesRemoved: total, oldestRevision: total + 1 });
    expect(late.record.revision).toBe(total + 1);
    await store.close();
    const reopened = createSqliteStore(path);
    expect(reopened.oldestRevision()).toBe(total + 1);
    expect((await reopened.readChanges(total + 1, 10)).map((c) => c.record.invocationId)).toEqual(["late"]);
    expect((await reopened.compact({ maxChanges: 0 })).oldestRevision).toBe(total + 2);
    await reopened.close();
    // Every change is gone now: the revision counter is kept on its own.
    const last = createSqliteStore(path);
    expect(last.currentRevision()).toBe(total + 1);
    expect((await last.transition(command("next", S.REGISTERED))).record.revision).toBe(total + 2);
    await last.close();
  });

  test("purging a large namespace goes in steps; its revisions are never given again", async () => {
    const path = join(dir, "purge.db");
    const store = createSqliteStore(path);
    await store.transition({ ...command("kept", S.REGISTERED), namespace: "other" });
    const size = 6_000;
    for (let start = 0; start < size; start += 1_000) {
      await store.batchTransition(
        Array.from({ length: 1_000 }, (_, i) => ({
          ...command(`p-${start + i}`, S.REGISTERED, null, "t"),
          namespace: "big",
          requestId: `k-${start + i}`,
        })),
      );
    }
    await store.heartbeat({ namespace: "big", runnerIds: ["r1", "r2"] });
    expect(await store.purgeNamespace("big")).toEqual({ invocationsPurged: size, runnersPurged: 2 });
    expect((await store.countInvocations("big", "t")).counts.get(S.REGISTERED)).toBe(0);
    expect(await store.readHistory("big", "p-0")).toEqual([]);
    expect((await store.readChanges(1, 10)).map((c) => c.record.namespace)).toEqual(["other"]);
    await store.close();
    const reopened = createSqliteStore(path);
    expect(reopened.currentRevision()).toBe(size + 1);
    expect((await reopened.countInvocations("other")).counts.get(S.REGISTERED)).toBe(1);
    const again = await reopened.transition({ ...command("p-0", S.REGISTERED), namespace: "big", requestId: "k-0" });
    expect(again.record).toMatchObject({ revision: size + 2, registeredRevision: size + 2 });
    await reopened.close();
  });

  test("recovery goes in steps over every namespace, and recovers everything it should", async () => {
    let clockMs = Date.parse("2026-01-01T00:00:00Z");
    const store = createSqliteStore(join(dir, "recovery.db"), { now: () => new Date(clockMs) });
    for (const namespace of ["", "app"]) {
      await store.batchTransition(
        Array.from({ length: 400 }, (_, i) => ({ ...command(`r-${i}`, S.REGISTERED), namespace })),
      );
      await store.claimAvailable({ namespace, runnerId: "r1", maxCount: 400, taskId: "" });
    }
    clockMs += 60_000;
    const recovered = await store.recover({ maxPendingMs: 30_000, runnerDeadAfterMs: 30_000 });
    expect(recovered.length).toBe(2 * 800);
    for (const namespace of ["", "app"]) {
      const counts = (await store.countInvocations(namespace)).counts;
      expect([counts.get(S.PENDING), counts.get(S.REROUTED)]).toEqual([0, 400]);
    }
    expect(await store.recover({ maxPendingMs: 30_000, runnerDeadAfterMs: 30_000 })).toEqual([]);
    await store.close();
  });
});
