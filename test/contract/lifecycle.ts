import { describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/core/index.js";
import { RevisionCompactedError, SYSTEM_PRINCIPAL } from "../../src/store/index.js";
import { type ContractContext, command, heartbeat, NS, startRunning } from "./contract-context.js";

/** Recovery (the server's own, and pynenc's candidates), leases and retention. */
export function describeLifecycleContract(context: ContractContext): void {
  const store = () => context.store();
  const { advance } = context;

  describe("recovery", () => {
    test("recovery moves stale PENDING and RUNNING of silent runners to REROUTED, with reasons, in every namespace", async () => {
      const policy = { maxPendingMs: 10_000, runnerDeadAfterMs: 30_000 };
      await store().transition(command("p", S.REGISTERED));
      await store().transition(command("p", S.PENDING, "r1"));
      await startRunning(store(), "alive", "r2");
      await startRunning(store(), "dead", "r3", "app");
      await store().heartbeat(heartbeat("r2"));
      await store().heartbeat(heartbeat("r3", { namespace: "app" }));
      advance(5_000);
      expect(await store().recover(policy)).toEqual([]);
      advance(20_000); // p pending 25 s
      await store().heartbeat(heartbeat("r2"));
      const pendingRecovered = await store().recover(policy);
      expect(pendingRecovered.map((c) => [c.record.invocationId, c.record.status])).toEqual([
        ["p", S.PENDING_RECOVERY],
        ["p", S.REROUTED],
      ]);
      expect(pendingRecovered[0]!.reason).toMatch(/max-pending-seconds 10/);
      expect(pendingRecovered.every((c) => c.principal === SYSTEM_PRINCIPAL)).toBe(true);
      advance(10_000); // r3 silent 35 s, r2 silent 10 s
      const runningRecovered = await store().recover(policy);
      expect(
        runningRecovered.map((c) => [c.record.namespace, c.record.invocationId, c.record.status, c.record.runnerId]),
      ).toEqual([
        ["app", "dead", S.RUNNING_RECOVERY, null],
        ["app", "dead", S.REROUTED, null],
      ]);
      expect(runningRecovered[0]!.reason).toMatch(/runner r3 .*last heartbeat/);
      expect((await store().get(NS, "alive"))?.status).toBe(S.RUNNING);
      const history = await store().readHistory("app", "dead");
      expect(history.at(-1)?.reason).toMatch(/runner-dead-after-seconds 30/);
      expect(history.at(-1)?.principal).toBe(SYSTEM_PRINCIPAL);
      // Rerouted invocations are available again.
      const available = await store().listAvailableForRun({ namespace: NS, afterRevision: 0, limit: 10, taskId: "" });
      expect(available.records.map((r) => r.invocationId)).toEqual(["p"]);
      expect((await store().countInvocations("app")).counts.get(S.REROUTED)).toBe(1);
    });

    test("a runner that never sent a heartbeat counts from when its invocation started running", async () => {
      await startRunning(store(), "a", "quiet");
      advance(29_000);
      expect(await store().recover({ maxPendingMs: 1_000, runnerDeadAfterMs: 30_000 })).toEqual([]);
      advance(2_000);
      expect((await store().recover({ maxPendingMs: 1_000, runnerDeadAfterMs: 30_000 })).length).toBe(2);
    });

    test("pending-timeout candidates: PENDING at or before now - threshold, oldest first, nothing changed", async () => {
      for (const id of ["p1", "p2", "p3"]) {
        await store().transition(command(id, S.REGISTERED));
        await store().transition(command(id, S.PENDING, "r1"));
        advance(1_000);
      }
      await startRunning(store(), "running", "r1");
      // p1 has been PENDING 3 s, p2 2 s, p3 1 s.
      const revision = store().currentRevision();
      const query = { namespace: NS, rule: "pending-timeout", limit: 100 } as const;
      const found = await store().listRecoveryCandidates({ ...query, thresholdMs: 2_000 });
      expect(found.records.map((r) => r.invocationId)).toEqual(["p1", "p2"]);
      expect(found.now).toEqual(new Date(context.now()));
      expect(found.revision).toBe(revision);
      expect((await store().listRecoveryCandidates({ ...query, thresholdMs: 2_001 })).records.length).toBe(1);
      expect((await store().listRecoveryCandidates({ ...query, thresholdMs: 0, limit: 2 })).records.length).toBe(2);
      expect(store().currentRevision()).toBe(revision);
    });

    test("dead-runner candidates: RUNNING owned by a runner silent past the threshold or never heard of", async () => {
      await store().heartbeat(heartbeat(["fresh", "stale"]));
      await startRunning(store(), "by-fresh", "fresh");
      await startRunning(store(), "by-stale", "stale");
      await startRunning(store(), "by-unknown", "unknown");
      await store().transition(command("pending", S.REGISTERED));
      await store().transition(command("pending", S.PENDING, "stale"));
      advance(60_000);
      await store().heartbeat(heartbeat("fresh"));
      const query = { namespace: NS, rule: "dead-runner", limit: 100 } as const;
      const found = await store().listRecoveryCandidates({ ...query, thresholdMs: 30_000 });
      expect(found.records.map((r) => r.invocationId).sort()).toEqual(["by-stale", "by-unknown"]);
      // With a 0 threshold any heartbeat in the past is too old (pynenc's tests use 0 that way).
      advance(1);
      const zero = await store().listRecoveryCandidates({ ...query, thresholdMs: 0 });
      expect(zero.records.map((r) => r.invocationId).sort()).toEqual(["by-fresh", "by-stale", "by-unknown"]);
    });

    test("a lease is held by one holder until it expires", async () => {
      expect(await store().acquireLease("recovery", "s1", 1_000)).toBe(true);
      expect(await store().acquireLease("recovery", "s2", 1_000)).toBe(false);
      expect(await store().acquireLease("recovery", "s1", 1_000)).toBe(true);
      advance(1_001);
      expect(await store().acquireLease("recovery", "s2", 1_000)).toBe(true);
      expect(await store().acquireLease("recovery", "s1", 1_000)).toBe(false);
    });
  });

  describe("retention", () => {
    test("compaction keeps the latest changes; older revisions are OUT_OF_RANGE, records stay", async () => {
      for (let i = 0; i < 10; i++) await store().transition(command(`k-${i}`, S.REGISTERED));
      const result = await store().compact({ maxChanges: 4 });
      expect(result).toMatchObject({ changesRemoved: 6, oldestRevision: 7 });
      expect(store().oldestRevision()).toBe(7);
      await expect(store().readChanges(6, 10)).rejects.toBeInstanceOf(RevisionCompactedError);
      expect((await store().readChanges(7, 10)).map((c) => c.record.revision)).toEqual([7, 8, 9, 10]);
      expect(await store().get(NS, "k-0")).toBeDefined();
      expect(await store().readHistory(NS, "k-0")).toEqual([]);
      expect((await store().transition(command("k-11", S.REGISTERED))).record.revision).toBe(11);
    });

    test("compaction by age keeps younger changes", async () => {
      await store().transition(command("old", S.REGISTERED));
      advance(60_000);
      await store().transition(command("young", S.REGISTERED));
      expect((await store().compact({ maxAgeMs: 30_000 })).oldestRevision).toBe(2);
    });

    test("final invocations are purged after the purge delay, in every namespace, and leave the counts", async () => {
      await startRunning(store(), "done", "r1");
      await store().transition(command("done", S.SUCCESS, "r1"));
      await startRunning(store(), "done", "r1", "app");
      await store().transition(command("done", S.FAILED, "r1", { namespace: "app" }));
      await startRunning(store(), "busy", "r2");
      advance(60_000);
      const result = await store().compact({ purgeFinalAfterMs: 30_000 });
      expect(result.invocationsPurged).toBe(2);
      expect(await store().get(NS, "done")).toBeUndefined();
      expect(await store().get("app", "done")).toBeUndefined();
      expect(await store().get(NS, "busy")).toBeDefined();
      expect((await store().countInvocations(NS)).counts.get(S.SUCCESS)).toBe(0);
      expect((await store().countInvocations("app")).counts.get(S.FAILED)).toBe(0);
      expect((await store().listInvocations({ namespace: NS, order: "revision", limit: 10 })).records.length).toBe(1);
      // The id can be registered again as a new invocation with a fresh history and registration.
      const again = await store().transition(command("done", S.REGISTERED));
      expect(again.record.registeredRevision).toBe(again.record.revision);
      expect((await store().readHistory(NS, "done")).map((c) => c.record.status)).toEqual([S.REGISTERED]);
    });

    test("a request id is forgotten with the change it produced", async () => {
      await store().transition(command("a", S.REGISTERED, null, { requestId: "once" }));
      await store().transition(command("b", S.REGISTERED));
      expect((await store().compact({ maxChanges: 1 })).requestIdsRemoved).toBe(1);
    });
  });
}
