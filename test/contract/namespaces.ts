import { describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/core/index.js";
import { type ContractContext, command, heartbeat, NS, startRunning } from "./contract-context.js";

const APP = "app-1";
const OTHER = "app-2";

/** Namespaces: identity is (namespace, id); everything but the revision counter is per namespace. */
export function describeNamespaceContract(context: ContractContext): void {
  const store = () => context.store();

  describe("namespaces", () => {
    test("the same id in two namespaces is two invocations, with one revision counter between them", async () => {
      const a = await store().transition(command("inv", S.REGISTERED, null, { namespace: APP, taskId: "t" }));
      const b = await store().transition(command("inv", S.REGISTERED, null, { namespace: OTHER }));
      await store().transition(command("inv", S.PENDING, "r1", { namespace: APP }));
      expect(a.record).toMatchObject({ namespace: APP, revision: 1, taskId: "t" });
      expect(b.record).toMatchObject({ namespace: OTHER, revision: 2, taskId: "" });
      expect(await store().get(APP, "inv")).toMatchObject({ namespace: APP, status: S.PENDING, revision: 3 });
      expect(await store().get(OTHER, "inv")).toMatchObject({ namespace: OTHER, status: S.REGISTERED, revision: 2 });
      expect(await store().get(NS, "inv")).toBeUndefined();
      expect((await store().readHistory(APP, "inv")).map((c) => c.record.revision)).toEqual([1, 3]);
      expect((await store().readHistory(OTHER, "inv")).map((c) => c.record.revision)).toEqual([2]);
      expect((await store().readChanges(1, 10)).map((c) => c.record.namespace)).toEqual([APP, OTHER, APP]);
    });

    test("lists, counts, batch reads, available lists and claims see only their namespace", async () => {
      for (const namespace of [APP, OTHER]) {
        for (const id of ["x", "y"]) {
          await store().transition(command(id, S.REGISTERED, null, { namespace, taskId: "t" }));
        }
      }
      await store().transition(command("y", S.PENDING, "r1", { namespace: OTHER }));
      const listed = await store().listInvocations({ namespace: APP, order: "revision", limit: 10 });
      expect(listed.records.map((r) => `${r.namespace}/${r.invocationId}`)).toEqual([`${APP}/x`, `${APP}/y`]);
      expect((await store().batchGet(APP, ["x", "y"])).records.every((r) => r.namespace === APP)).toBe(true);
      expect((await store().countInvocations(APP)).counts.get(S.REGISTERED)).toBe(2);
      expect((await store().countInvocations(OTHER, "t")).counts.get(S.REGISTERED)).toBe(1);
      expect((await store().countInvocations(NS)).counts.get(S.REGISTERED)).toBe(0);
      const available = await store().listAvailableForRun({
        namespace: OTHER,
        afterRevision: 0,
        limit: 10,
        taskId: "",
      });
      expect(available.records.map((r) => r.invocationId)).toEqual(["x"]);
      const claimed = await store().claimAvailable({ namespace: APP, runnerId: "r2", maxCount: 10, taskId: "t" });
      expect(claimed.map((c) => `${c.record.namespace}/${c.record.invocationId}`)).toEqual([`${APP}/x`, `${APP}/y`]);
      expect((await store().get(OTHER, "x"))?.status).toBe(S.REGISTERED);
    });

    test("namespaces, ids and tasks with ':' and NUL in them never mix", async () => {
      // Pairs that would name the same thing if namespace and id were just joined with ':'.
      const pairs = [
        ["a", "1:b", "t:1"],
        ["a:1", "b", "t"],
        ["a:1:b", "", "t"],
        ["x\u0000", "y", "1"],
        ["x", "\u0000y", "x:1"],
      ] as const;
      for (const [namespace, id, taskId] of pairs) {
        await store().transition(command(id, S.REGISTERED, null, { namespace, taskId, requestId: "k" }));
      }
      await store().transition(command("1:b", S.PENDING, "r:1", { namespace: "a" }));
      await store().heartbeat(heartbeat("r:1", { namespace: "a" }));
      for (const [namespace, id, taskId] of pairs) {
        const where = JSON.stringify([namespace, id]);
        const record = await store().get(namespace, id);
        expect(record, where).toMatchObject({ namespace, invocationId: id, taskId });
        expect((await store().readHistory(namespace, id)).length, where).toBe(namespace === "a" ? 2 : 1);
        const listed = await store().listInvocations({ namespace, order: "revision", limit: 10 });
        expect(
          listed.records.map((r) => r.invocationId),
          where,
        ).toEqual([id]);
        const counts = await store().countInvocations(namespace, taskId);
        expect(counts.counts.get(namespace === "a" ? S.PENDING : S.REGISTERED), where).toBe(1);
        expect((await store().listRunners(namespace)).runners.length, where).toBe(namespace === "a" ? 1 : 0);
      }
      const available = await store().listAvailableForRun({
        namespace: "a:1",
        afterRevision: 0,
        limit: 10,
        taskId: "",
      });
      expect(available.records.map((r) => r.invocationId)).toEqual(["b"]);
      expect(
        (await store().listInvocations({ namespace: "a", order: "revision", limit: 10, runnerId: "r:1" })).records,
      ).toHaveLength(1);
      expect(await store().purgeNamespace("a:1")).toEqual({ invocationsPurged: 1, runnersPurged: 0 });
      expect(await store().get("a", "1:b")).toBeDefined();
      expect(await store().get("a:1:b", "")).toBeDefined();
    });

    test("request ids are per namespace", async () => {
      await store().transition(command("a", S.REGISTERED, null, { namespace: APP, requestId: "k" }));
      const other = await store().transition(command("a", S.REGISTERED, null, { namespace: OTHER, requestId: "k" }));
      expect(other.record).toMatchObject({ namespace: OTHER, revision: 2 });
    });

    test("runners and recovery candidates are per namespace", async () => {
      await store().heartbeat(heartbeat("r1", { namespace: APP }));
      await startRunning(store(), "a", "r1", APP);
      await startRunning(store(), "a", "r1", OTHER);
      expect((await store().listRunners(APP)).runners.map((r) => r.runnerId)).toEqual(["r1"]);
      expect((await store().listRunners(OTHER)).runners).toEqual([]);
      // r1 never sent a heartbeat in OTHER: there it counts as dead at once, as pynenc counts it.
      const query = { rule: "dead-runner", thresholdMs: 60_000, limit: 100 } as const;
      expect((await store().listRecoveryCandidates({ namespace: APP, ...query })).records).toEqual([]);
      const dead = await store().listRecoveryCandidates({ namespace: OTHER, ...query });
      expect(dead.records.map((r) => `${r.namespace}/${r.invocationId}`)).toEqual([`${OTHER}/a`]);
    });

    test("purging a namespace deletes its invocations, history, request ids and runners, and nothing else", async () => {
      await startRunning(store(), "a", "r1", APP);
      await store().transition(command("b", S.REGISTERED, null, { namespace: APP, requestId: "k" }));
      await store().heartbeat(heartbeat(["r1", "r2"], { namespace: APP }));
      await startRunning(store(), "a", "r1", OTHER);
      await store().heartbeat(heartbeat("r1", { namespace: OTHER }));
      const revision = store().currentRevision();

      expect(await store().purgeNamespace(APP)).toEqual({ invocationsPurged: 2, runnersPurged: 2 });
      expect(await store().get(APP, "a")).toBeUndefined();
      expect(await store().readHistory(APP, "a")).toEqual([]);
      expect((await store().listInvocations({ namespace: APP, order: "revision", limit: 10 })).records).toEqual([]);
      expect([...(await store().countInvocations(APP)).counts.values()].every((n) => n === 0)).toBe(true);
      expect((await store().listRunners(APP)).runners).toEqual([]);
      expect(store().currentRevision()).toBe(revision);
      // The other namespace is untouched; the purged one starts afresh (its request ids too).
      expect((await store().get(OTHER, "a"))?.status).toBe(S.RUNNING);
      expect((await store().listRunners(OTHER)).runners.map((r) => r.runnerId)).toEqual(["r1"]);
      const again = await store().transition(command("b", S.REGISTERED, null, { namespace: APP, requestId: "k" }));
      expect(again.record.revision).toBe(revision + 1);
      expect(await store().purgeNamespace("never-used")).toEqual({ invocationsPurged: 0, runnersPurged: 0 });
    });

    test("the namespaces listed are those holding invocations, sorted; purged or emptied ones leave the list", async () => {
      expect(await store().listNamespaces()).toEqual([]);
      await store().heartbeat(heartbeat("r1", { namespace: "runners-only" }));
      for (const namespace of [OTHER, NS, APP, "a:1\u0000"]) {
        await store().transition(command("x", S.REGISTERED, null, { namespace }));
      }
      await startRunning(store(), "y", "r1", APP);
      expect(await store().listNamespaces()).toEqual([NS, "a:1\u0000", APP, OTHER]);
      await store().purgeNamespace(APP);
      expect(await store().listNamespaces()).toEqual([NS, "a:1\u0000", OTHER]);
      // An invocation that is final and old enough is forgotten by retention: its namespace with it.
      await store().transition(command("x", S.CONCURRENCY_CONTROLLED_FINAL, null, { namespace: OTHER }));
      context.advance(60_000);
      await store().compact({ purgeFinalAfterMs: 30_000 });
      expect(await store().listNamespaces()).toEqual([NS, "a:1\u0000"]);
    });
  });
}
