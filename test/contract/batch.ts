import { describe, expect, test } from "vitest";
import {
  InvocationStatusOwnershipError,
  InvocationStatusTransitionError,
  InvocationStatus as S,
} from "../../src/core/index.js";
import { InvocationNotFoundError, RequestIdReusedError, type StoredChange } from "../../src/store/index.js";
import { type ContractContext, command, NS } from "./contract-context.js";

/** BatchTransition: many transitions, one commit, each as it would be alone. */
export function describeBatchContract(context: ContractContext): void {
  const store = () => context.store();

  describe("batch transitions", () => {
    test("an empty batch changes nothing", async () => {
      expect(await store().batchTransition([])).toEqual([]);
      expect(store().currentRevision()).toBe(0);
    });

    test("registers many invocations under dense revisions, published once each and in order", async () => {
      const seen: number[] = [];
      store().subscribe((c) => seen.push(c.record.revision));
      const ids = Array.from({ length: 1_000 }, (_, i) => `b-${i}`);
      const results = await store().batchTransition(
        ids.map((id) => command(id, S.REGISTERED, null, { taskId: "t", principal: "producer" })),
      );
      expect(results.map((r) => (r as StoredChange).record.revision)).toEqual(ids.map((_, i) => i + 1));
      expect(
        results.every((r) => (r as StoredChange).record.registeredRevision === (r as StoredChange).record.revision),
      ).toBe(true);
      expect(seen).toEqual(ids.map((_, i) => i + 1));
      expect(store().currentRevision()).toBe(1_000);
      expect((await store().countInvocations(NS)).counts.get(S.REGISTERED)).toBe(1_000);
      expect((await store().readHistory(NS, "b-999"))[0]).toMatchObject({ principal: "producer" });
    });

    test("each item succeeds or fails on its own, with the error it would get alone, seeing the items before it", async () => {
      await store().transition(command("x", S.REGISTERED));
      const results = await store().batchTransition([
        command("n", S.REGISTERED), // 2
        command("n", S.PENDING, "r1"), // 3: sees the registration just before it
        command("n", S.PENDING, "r2"), // already PENDING
        command("ghost", S.RUNNING, "r1"), // unknown
        command("x", S.PENDING, "r1"), // 4
        command("x", S.RUNNING, "r2"), // owned by r1
        command("x", S.RUNNING, "r1", { validateOnly: true }), // would be 5; nothing changes
        command("n", S.RUNNING, "r1"), // 5
      ]);
      const summary = results.map((r) =>
        r instanceof Error
          ? r.constructor.name
          : `${(r as StoredChange).record.invocationId}@${(r as StoredChange).record.revision}`,
      );
      expect(summary).toEqual([
        "n@2",
        "n@3",
        InvocationStatusTransitionError.name,
        InvocationNotFoundError.name,
        "x@4",
        InvocationStatusOwnershipError.name,
        "x@5",
        "n@5",
      ]);
      // Errors name their invocation, as a single transition's do.
      expect(results[2]).toMatchObject({ invocationId: "n" });
      expect(results[5]).toMatchObject({ invocationId: "x" });
      expect(store().currentRevision()).toBe(5);
      expect((await store().get(NS, "x"))?.status).toBe(S.PENDING);
      expect((await store().readChanges(2, 10)).map((c) => `${c.record.invocationId}:${c.record.status}`)).toEqual([
        `n:${S.REGISTERED}`,
        `n:${S.PENDING}`,
        `x:${S.PENDING}`,
        `n:${S.RUNNING}`,
      ]);
    });

    test("request ids work per item: a retried batch returns the first outcomes without new changes", async () => {
      const batch = [
        command("a", S.REGISTERED, null, { requestId: "ra" }),
        command("b", S.REGISTERED, null, { requestId: "rb" }),
      ];
      const first = await store().batchTransition(batch);
      const retry = await store().batchTransition(batch);
      expect(retry).toEqual(first);
      expect(store().currentRevision()).toBe(2);
      const reused = await store().batchTransition([command("a", S.PENDING, "r1", { requestId: "rb" })]);
      expect(reused[0]).toBeInstanceOf(RequestIdReusedError);
      // The same key twice in one batch: the second is the first's retry.
      const twice = await store().batchTransition([
        command("c", S.REGISTERED, null, { requestId: "rc" }),
        command("c", S.REGISTERED, null, { requestId: "rc" }),
      ]);
      expect(twice[1]).toEqual(twice[0]);
      expect(store().currentRevision()).toBe(3);
    });
  });
}
