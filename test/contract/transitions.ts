import { describe, expect, test } from "vitest";
import {
  InvocationStatusOwnershipError,
  InvocationStatusTransitionError,
  PYNENC_0_3_STATUS_CONFIG,
  PYNENC_STATUS_DEFINITIONS,
  InvocationStatus as S,
  StatusConfiguration,
} from "../../src/core/index.js";
import {
  InvocationNotFoundError,
  RequestIdReusedError,
  RevisionMismatchError,
  type StatusStore,
  type StoredChange,
  type TransitionCommand,
} from "../../src/store/index.js";
import { type ContractContext, command, NS, startRunning } from "./contract-context.js";

/** Single transitions: the state machine, revisions, history, compare-and-set, idempotency. */
export function describeTransitionContract(context: ContractContext): void {
  const store = () => context.store();

  describe("transitions", () => {
    test("registering a new invocation gives revision 1, its task, no previous status and its registration", async () => {
      const change = await store().transition(command("a", S.REGISTERED, null, { taskId: "task-1" }));
      expect(change.record).toEqual({
        namespace: NS,
        invocationId: "a",
        status: S.REGISTERED,
        runnerId: null,
        timestamp: new Date(context.now()),
        revision: 1,
        taskId: "task-1",
        registeredRevision: 1,
        registeredAt: new Date(context.now()),
      });
      expect(change.previousStatus).toBeNull();
      expect(store().currentRevision()).toBe(1);
      expect(await store().get(NS, "a")).toEqual(change.record);
    });

    test("a lifecycle acquires, keeps and releases ownership, one revision per change", async () => {
      await store().transition(command("a", S.REGISTERED, null, { taskId: "t" }));
      const registeredAt = new Date(context.now());
      context.advance(1_000);
      const pending = await store().transition(command("a", S.PENDING, "r1", { taskId: "ignored" }));
      expect(pending.record).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2, taskId: "t" });
      // The registration never moves: it is the invocation's, not the change's.
      expect(pending.record).toMatchObject({ registeredRevision: 1, registeredAt });
      expect(pending.record.timestamp).toEqual(new Date(context.now()));
      const running = await store().transition(command("a", S.RUNNING, "r1"));
      expect(running.record).toMatchObject({ runnerId: "r1", revision: 3 });
      expect(running.previousStatus).toBe(S.PENDING);
      const done = await store().transition(command("a", S.SUCCESS, "r1"));
      expect(done.record).toMatchObject({ status: S.SUCCESS, runnerId: null, revision: 4, registeredRevision: 1 });
      expect(done.previousRunnerId).toBe("r1");
      const history = await store().readHistory(NS, "a");
      expect(history.map((c) => [c.record.status, c.previousStatus, c.record.revision])).toEqual([
        [S.REGISTERED, null, 1],
        [S.PENDING, S.REGISTERED, 2],
        [S.RUNNING, S.PENDING, 3],
        [S.SUCCESS, S.RUNNING, 4],
      ]);
      expect(history.at(-1)).toEqual(done);
    });

    test("every change keeps who made it and why, in the change, the history and the change log", async () => {
      await store().transition(command("a", S.REGISTERED, null, { principal: "producer" }));
      const taken = await store().transition(command("a", S.PENDING, "r1", { principal: "runner-1" }));
      await store().transition(command("a", S.RUNNING, "r1"));
      expect(taken.principal).toBe("runner-1");
      const history = await store().readHistory(NS, "a");
      expect(history.map((c) => [c.principal, c.reason])).toEqual([
        ["producer", ""],
        ["runner-1", ""],
        ["", ""],
      ]);
      expect((await store().readChanges(1, 10)).map((c) => c.principal)).toEqual(["producer", "runner-1", ""]);
    });

    const rejected: Array<{
      name: string;
      setup: (s: StatusStore) => Promise<void>;
      command: TransitionCommand;
      error: unknown;
    }> = [
      {
        name: "a transition the status does not allow",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.REGISTERED, "r1"),
        error: InvocationStatusTransitionError,
      },
      {
        name: "a change by a runner that is not the owner",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.SUCCESS, "r2"),
        error: InvocationStatusOwnershipError,
      },
      {
        name: "acquiring without a runner",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.PENDING, null),
        error: InvocationStatusOwnershipError,
      },
      {
        name: "an unknown invocation",
        setup: async () => {},
        command: command("nope", S.PENDING, "r1"),
        error: InvocationNotFoundError,
      },
      {
        name: "an invocation of another namespace",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED, null, { namespace: "other" }))),
        command: command("a", S.PENDING, "r1"),
        error: InvocationNotFoundError,
      },
      {
        name: "registering twice",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.REGISTERED),
        error: InvocationStatusTransitionError,
      },
      {
        name: "a stale expected revision",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.SUCCESS, "r1", { expectedRevision: 2 }),
        error: RevisionMismatchError,
      },
      {
        name: "an expected revision on a new invocation that exists",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.REGISTERED, null, { expectedRevision: 0 }),
        error: RevisionMismatchError,
      },
    ];
    for (const c of rejected) {
      test(`rejects ${c.name} and changes nothing`, async () => {
        await c.setup(store());
        const revision = store().currentRevision();
        const before = await store().get(NS, c.command.invocationId);
        const counts = await store().countInvocations(NS);
        const seen: StoredChange[] = [];
        const unsubscribe = store().subscribe((change) => seen.push(change));
        const attempt = store().transition(c.command);
        await expect(attempt).rejects.toBeInstanceOf(c.error);
        // Every rejection names the invocation it is about; the API's error metadata carries it.
        await expect(attempt).rejects.toMatchObject({ invocationId: c.command.invocationId });
        unsubscribe();
        expect(store().currentRevision()).toBe(revision);
        expect(await store().get(NS, c.command.invocationId)).toEqual(before);
        expect(await store().readChanges(revision + 1, 10)).toEqual([]);
        expect((await store().countInvocations(NS)).counts).toEqual(counts.counts);
        expect(seen).toEqual([]);
      });
    }

    test("a matching expected revision is accepted", async () => {
      await startRunning(store(), "a", "r1");
      const change = await store().transition(command("a", S.SUCCESS, "r1", { expectedRevision: 3 }));
      expect(change.record.revision).toBe(4);
    });

    test("validate-only checks everything and changes nothing", async () => {
      await startRunning(store(), "a", "r1");
      const change = await store().transition(command("a", S.SUCCESS, "r1", { validateOnly: true }));
      expect(change.record).toMatchObject({ status: S.SUCCESS, revision: 4 });
      expect(store().currentRevision()).toBe(3);
      expect((await store().get(NS, "a"))?.status).toBe(S.RUNNING);
      expect((await store().countInvocations(NS)).counts.get(S.SUCCESS)).toBe(0);
      await expect(store().transition(command("a", S.SUCCESS, "r2", { validateOnly: true }))).rejects.toBeInstanceOf(
        InvocationStatusOwnershipError,
      );
    });

    test("the state machine is the store's configuration: another table changes what it accepts", async () => {
      // A profile in which a new invocation may also start as CONCURRENCY_CONTROLLED.
      const newInvocation = PYNENC_STATUS_DEFINITIONS.get(null)!;
      const config = new StatusConfiguration(
        new Map([
          ...PYNENC_STATUS_DEFINITIONS,
          [null, { ...newInvocation, allowedTransitions: new Set([S.REGISTERED, S.CONCURRENCY_CONTROLLED]) }],
        ]),
      );
      const other = await context.factory({ now: () => new Date(context.now()), config });
      try {
        expect(other.config).toBe(config);
        const change = await other.transition(command("cc", S.CONCURRENCY_CONTROLLED));
        expect(change).toMatchObject({
          record: { status: S.CONCURRENCY_CONTROLLED, revision: 1, registeredRevision: 1 },
          previousStatus: null,
        });
        expect((await other.readHistory(NS, "cc")).map((c) => c.record.status)).toEqual([S.CONCURRENCY_CONTROLLED]);
      } finally {
        await other.close();
      }
      await expect(store().transition(command("cc", S.CONCURRENCY_CONTROLLED))).rejects.toBeInstanceOf(
        InvocationNotFoundError,
      );
    });

    test("the pynenc-0.3 profile: PAUSED goes back to RUNNING, RESUMED is not a status", async () => {
      const other = await context.factory({ now: () => new Date(context.now()), config: PYNENC_0_3_STATUS_CONFIG });
      try {
        await startRunning(other, "p", "r1");
        await other.transition(command("p", S.PAUSED, "r1"));
        const error = await other.transition(command("p", S.RESUMED, "r1")).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvocationStatusTransitionError);
        expect((error as InvocationStatusTransitionError).allowed).toEqual([S.RUNNING, S.KILLED]);
        expect((await other.transition(command("p", S.RUNNING, "r1"))).record).toMatchObject({
          status: S.RUNNING,
          runnerId: "r1",
          revision: 5,
        });
        const { counts } = await other.countInvocations(NS);
        expect([...counts.keys()]).toEqual(PYNENC_0_3_STATUS_CONFIG.statuses);
        expect(counts.has(S.RESUMED)).toBe(false);
      } finally {
        await other.close();
      }
      // The default (pynenc-0.2) store still has RESUMED and not PAUSED -> RUNNING.
      await startRunning(store(), "p", "r1");
      await store().transition(command("p", S.PAUSED, "r1"));
      await expect(store().transition(command("p", S.RUNNING, "r1"))).rejects.toBeInstanceOf(
        InvocationStatusTransitionError,
      );
    });

    test("runners racing for the same invocations: exactly one wins each, the others get the state machine's error", async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
      await Promise.all(ids.map((id) => store().transition(command(id, S.REGISTERED))));
      const runners = ["r1", "r2", "r3", "r4"];
      const attempts = ids.flatMap((id) =>
        runners.map((r) =>
          store()
            .transition(command(id, S.PENDING, r))
            .then(() => r),
        ),
      );
      const results = await Promise.allSettled(attempts);
      for (let i = 0; i < ids.length; i++) {
        const forId = results.slice(i * runners.length, (i + 1) * runners.length);
        const winners = forId.filter((r) => r.status === "fulfilled");
        expect(winners).toHaveLength(1);
        for (const loser of forId.filter((r) => r.status === "rejected")) {
          expect((loser as PromiseRejectedResult).reason).toBeInstanceOf(InvocationStatusTransitionError);
        }
        expect((await store().get(NS, ids[i]!))?.runnerId).toBe((winners[0] as PromiseFulfilledResult<string>).value);
      }
      expect(store().currentRevision()).toBe(ids.length * 2);
    });

    test("concurrent transitions get dense, unique revisions and every change has its history entry", async () => {
      const ids = Array.from({ length: 200 }, (_, i) => `c-${i}`);
      const changes = await Promise.all(ids.map((id) => store().transition(command(id, S.REGISTERED))));
      expect(changes.map((c) => c.record.revision).sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1));
      const log = await store().readChanges(1, 1000);
      expect(log.map((c) => c.record.revision)).toEqual(ids.map((_, i) => i + 1));
      for (const change of log) expect(await store().get(NS, change.record.invocationId)).toEqual(change.record);
    });

    test("a request id makes a retry return the first outcome without a second change", async () => {
      await store().transition(command("a", S.REGISTERED));
      const first = await store().transition(command("a", S.PENDING, "r1", { requestId: "k1" }));
      const retry = await store().transition(command("a", S.PENDING, "r1", { requestId: "k1" }));
      expect(retry).toEqual(first);
      expect(store().currentRevision()).toBe(2);
      expect((await store().readHistory(NS, "a")).length).toBe(2);
      await expect(store().transition(command("a", S.RUNNING, "r1", { requestId: "k1" }))).rejects.toBeInstanceOf(
        RequestIdReusedError,
      );
      expect(store().currentRevision()).toBe(2);
      // A key whose first attempt failed recorded nothing: the retry is evaluated afresh.
      await expect(store().transition(command("a", S.SUCCESS, "r1", { requestId: "k2" }))).rejects.toBeInstanceOf(
        InvocationStatusTransitionError,
      );
      expect((await store().transition(command("a", S.RUNNING, "r1", { requestId: "k2" }))).record.revision).toBe(3);
    });

    test("the page-token secret is random per store and the same on every call", async () => {
      const secret = store().pageTokenSecret();
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(store().pageTokenSecret().equals(secret)).toBe(true);
      const other = await context.factory({ now: () => new Date(context.now()) });
      try {
        expect(other.pageTokenSecret().equals(secret)).toBe(false);
      } finally {
        await other.close();
      }
    });
  });
}
