import { describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/core/index.js";
import { type InvocationQuery, orderKey, type StoredRecord } from "../../src/store/index.js";
import { type ContractContext, command, INVOCATION_TASKS, NS, startRunning } from "./contract-context.js";

const ids = (records: readonly StoredRecord[]) => records.map((r) => r.invocationId);

/** Reading many records: by ids, by filter in pages, counts, available for run, claims. */
export function describeQueryContract(context: ContractContext): void {
  const store = () => context.store();
  const list = (query: Partial<InvocationQuery>) =>
    store().listInvocations({ namespace: NS, order: "revision", limit: 100, ...query });

  /** Move a new invocation of `task` to RUNNING owned by `runner`. */
  async function run(id: string, task: string, runner: string): Promise<void> {
    await store().transition(command(id, S.REGISTERED, null, { taskId: task }));
    await store().transition(command(id, S.PENDING, runner));
    await store().transition(command(id, S.RUNNING, runner));
  }

  /**
   * a: t1 RUNNING r1 (rev 1-3)   b: t2 REGISTERED (4)    c: t1 PENDING r2 (5-6)
   * d: t1 SUCCESS (7-10)         ab: t2 REGISTERED (11)  then a goes PAUSED (12).
   * Revision order: b c d ab a; registration order: a b c d ab.
   */
  async function fixture(): Promise<void> {
    await run("a", "t1", "r1");
    await store().transition(command("b", S.REGISTERED, null, { taskId: "t2" }));
    await store().transition(command("c", S.REGISTERED, null, { taskId: "t1" }));
    await store().transition(command("c", S.PENDING, "r2"));
    await run("d", "t1", "r1");
    await store().transition(command("d", S.SUCCESS, "r1"));
    await store().transition(command("ab", S.REGISTERED, null, { taskId: "t2" }));
    await store().transition(command("a", S.PAUSED, "r1"));
  }

  describe("queries", () => {
    test("batch get returns the records that exist, in the order asked, at one revision", async () => {
      await fixture();
      const got = await store().batchGet(NS, ["d", "zzz", "a", "b", "a"]);
      expect(ids(got.records)).toEqual(["d", "a", "b", "a"]);
      expect(got.records[1]).toEqual(await store().get(NS, "a"));
      expect(got.revision).toBe(12);
      expect((await store().batchGet(NS, [])).records).toEqual([]);
    });

    test("lists by status, task, owner, id prefix and ids; every filter given must match", async () => {
      await fixture();
      expect(ids((await list({})).records)).toEqual(["b", "c", "d", "ab", "a"]);
      expect(ids((await list({ statuses: new Set([S.REGISTERED]) })).records)).toEqual(["b", "ab"]);
      expect(ids((await list({ statuses: new Set([S.PAUSED, S.PENDING]) })).records)).toEqual(["c", "a"]);
      expect(ids((await list({ taskId: "t1" })).records)).toEqual(["c", "d", "a"]);
      expect(ids((await list({ runnerId: "r1" })).records)).toEqual(["a"]);
      expect(ids((await list({ idPrefix: "a" })).records)).toEqual(["ab", "a"]);
      expect(ids((await list({ invocationIds: new Set(["d", "a", "nope"]) })).records)).toEqual(["d", "a"]);
      expect(ids((await list({ taskId: "t2", statuses: new Set([S.REGISTERED]), idPrefix: "a" })).records)).toEqual([
        "ab",
      ]);
      expect((await list({ taskId: "t1", runnerId: "r2", statuses: new Set([S.SUCCESS]) })).records).toEqual([]);
      expect((await list({ taskId: "nope" })).revision).toBe(12);
    });

    const orders: Array<{ order: InvocationQuery["order"]; expected: string[] }> = [
      { order: "revision", expected: ["b", "c", "d", "ab", "a"] },
      { order: "revision-desc", expected: ["a", "ab", "d", "c", "b"] },
      { order: "newest-registration", expected: ["ab", "d", "c", "b", "a"] },
      { order: "oldest-registration", expected: ["a", "b", "c", "d", "ab"] },
    ];
    for (const { order, expected } of orders) {
      test(`lists in ${order} order, in pages that continue after the last key, with an offset`, async () => {
        await fixture();
        expect(ids((await list({ order })).records)).toEqual(expected);
        // Page by page, two at a time.
        const seen: string[] = [];
        let after: number | undefined;
        for (;;) {
          const page = await list({ order, limit: 2, after });
          seen.push(...ids(page.records));
          if (page.records.length < 2) break;
          after = orderKey(page.records.at(-1)!, order);
        }
        expect(seen).toEqual(expected);
        expect(ids((await list({ order, offset: 3 })).records)).toEqual(expected.slice(3));
        expect(ids((await list({ order, offset: 1, limit: 2 })).records)).toEqual(expected.slice(1, 3));
        expect(
          ids((await list({ order, offset: 1, after: orderKey((await list({ order })).records[0]!, order) })).records),
        ).toEqual(expected.slice(2));
        expect(ids((await list({ order, statuses: new Set([S.REGISTERED]) })).records)).toEqual(
          expected.filter((id) => id === "b" || id === "ab"),
        );
        expect(ids((await list({ order, taskId: "t1" })).records)).toEqual(
          expected.filter((id) => id === "a" || id === "c" || id === "d"),
        );
      });
    }

    test("a record that changes while pages are read moves in revision order and stays put in registration order", async () => {
      await fixture();
      const first = await list({ order: "revision", limit: 2 });
      const firstByRegistration = await list({ order: "oldest-registration", limit: 2 });
      await store().transition(command("b", S.PENDING, "r3")); // b was on the first page of both
      const rest = await list({ order: "revision", after: first.records.at(-1)!.revision });
      expect(ids(rest.records)).toEqual(["d", "ab", "a", "b"]);
      const restByRegistration = await list({
        order: "oldest-registration",
        after: firstByRegistration.records.at(-1)!.registeredRevision,
      });
      expect(ids(restByRegistration.records)).toEqual(["c", "d", "ab"]);
    });

    test("every combination of filters, order, cursor and offset agrees with filtering and sorting every record", async () => {
      // 16 invocations over two tasks, then some moved on, in an order unlike the registrations
      // (so revision and registration orders differ): REGISTERED 9, PENDING 2, RUNNING 3, SUCCESS
      // 2. Statuses are few and many against the namespace and the task, so every index a store
      // may choose is read.
      const all: string[] = [];
      for (let i = 0; i < 16; i++) {
        all.push(`i-${i}`);
        await store().transition(command(`i-${i}`, S.REGISTERED, null, { taskId: i % 2 === 0 ? "t1" : "t2" }));
      }
      const moves: Array<[number, S, string]> = [
        [13, S.PENDING, "r1"],
        [2, S.RUNNING, "r1"],
        [7, S.SUCCESS, "r3"],
        [10, S.RUNNING, "r2"],
        [5, S.PENDING, "r2"],
        [0, S.RUNNING, "r1"],
        [15, S.SUCCESS, "r3"],
      ];
      for (const [i, status, runner] of moves) {
        for (const step of [S.PENDING, S.RUNNING, S.SUCCESS]) {
          await store().transition(command(`i-${i}`, step, runner));
          if (step === status) break;
        }
      }
      const records = (await store().batchGet(NS, all)).records;
      const statusSets = [undefined, [S.REGISTERED], [S.PENDING], [S.PENDING, S.RUNNING], [S.SUCCESS], []];
      for (const { order } of orders) {
        const descending = order === "revision-desc" || order === "newest-registration";
        const sorted = [...records].sort((a, b) => (orderKey(a, order) - orderKey(b, order)) * (descending ? -1 : 1));
        for (const statuses of statusSets) {
          for (const taskId of [undefined, "t1"]) {
            for (const runnerId of [undefined, "r1"]) {
              for (const idPrefix of [undefined, "i-1"]) {
                const filter = { order, statuses: statuses && new Set(statuses), taskId, runnerId, idPrefix };
                const where = JSON.stringify({ order, statuses, taskId, runnerId, idPrefix });
                const expected = sorted.filter(
                  (r) =>
                    (statuses === undefined || statuses.includes(r.status)) &&
                    (taskId === undefined || r.taskId === taskId) &&
                    (runnerId === undefined || r.runnerId === runnerId) &&
                    (idPrefix === undefined || r.invocationId.startsWith(idPrefix)),
                );
                expect((await list(filter)).records, where).toEqual(expected);
                const paged: StoredRecord[] = [];
                for (let after: number | undefined; ; ) {
                  const page = await list({ ...filter, limit: 3, after });
                  paged.push(...page.records);
                  if (page.records.length < 3) break;
                  after = orderKey(page.records.at(-1)!, order);
                }
                expect(ids(paged), where).toEqual(ids(expected));
                expect(ids((await list({ ...filter, offset: 2, limit: 3 })).records), where).toEqual(
                  ids(expected.slice(2, 5)),
                );
              }
            }
          }
        }
      }
    });

    test("counts per status of a namespace and of a task, kept as invocations move", async () => {
      const empty = await store().countInvocations(NS);
      expect([...empty.counts.keys()]).toEqual(store().config.statuses);
      expect([...empty.counts.values()].every((n) => n === 0)).toBe(true);
      await fixture();
      const all = await store().countInvocations(NS);
      expect(Object.fromEntries([...all.counts].filter(([, n]) => n > 0))).toEqual({
        [S.REGISTERED]: 2,
        [S.PENDING]: 1,
        [S.PAUSED]: 1,
        [S.SUCCESS]: 1,
      });
      expect(all.revision).toBe(12);
      const t1 = await store().countInvocations(NS, "t1");
      expect(Object.fromEntries([...t1.counts].filter(([, n]) => n > 0))).toEqual({
        [S.PENDING]: 1,
        [S.PAUSED]: 1,
        [S.SUCCESS]: 1,
      });
      expect([...(await store().countInvocations(NS, "no-such-task")).counts.values()].every((n) => n === 0)).toBe(
        true,
      );
    });

    test("lists available invocations oldest first, by task, in pages that survive changes", async () => {
      for (const [id, task] of INVOCATION_TASKS) {
        await store().transition(command(id, S.REGISTERED, null, { taskId: task }));
      }
      await store().transition(command("b", S.PENDING, "r1"));
      const all = await store().listAvailableForRun({ namespace: NS, afterRevision: 0, limit: 10, taskId: "" });
      expect(ids(all.records)).toEqual(["a", "c", "d"]);
      expect(all.revision).toBe(5);
      const t1 = await store().listAvailableForRun({ namespace: NS, afterRevision: 0, limit: 1, taskId: "t1" });
      expect(ids(t1.records)).toEqual(["a"]);
      // "a" leaves and comes back later: it is now newest, after "d".
      await store().transition(command("a", S.PENDING, "r1"));
      await store().transition(command("a", S.RUNNING, "r1"));
      await store().transition(command("a", S.RETRY, "r1"));
      const rest = await store().listAvailableForRun({
        namespace: NS,
        afterRevision: t1.records[0]!.revision,
        limit: 10,
        taskId: "t1",
      });
      expect(ids(rest.records)).toEqual(["c", "d", "a"]);
      expect(rest.records.every((r) => r.runnerId === null)).toBe(true);
    });

    test("claiming takes the oldest available invocations, by task, each once", async () => {
      for (const [id, task] of INVOCATION_TASKS) {
        await store().transition(command(id, S.REGISTERED, null, { taskId: task }));
      }
      const first = await store().claimAvailable({ namespace: NS, runnerId: "r1", maxCount: 2, taskId: "t1" });
      expect(first.map((c) => [c.record.invocationId, c.record.status, c.record.runnerId])).toEqual([
        ["a", S.PENDING, "r1"],
        ["c", S.PENDING, "r1"],
      ]);
      const second = await store().claimAvailable({
        namespace: NS,
        runnerId: "r2",
        maxCount: 10,
        taskId: "",
        principal: "runner-2",
      });
      expect(second.map((c) => [c.record.invocationId, c.principal])).toEqual([
        ["b", "runner-2"],
        ["d", "runner-2"],
      ]);
      expect(await store().claimAvailable({ namespace: NS, runnerId: "r3", maxCount: 10, taskId: "" })).toEqual([]);
      expect(store().currentRevision()).toBe(8);
      expect((await store().countInvocations(NS)).counts.get(S.PENDING)).toBe(4);
    });

    test("runners claiming at once never get the same invocation and leave none behind", async () => {
      await Promise.all(Array.from({ length: 300 }, (_, i) => store().transition(command(`q-${i}`, S.REGISTERED))));
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, r) =>
          store().claimAvailable({ namespace: NS, runnerId: `r${r}`, maxCount: 20, taskId: "" }),
        ),
      );
      const claimed = claims.flat().map((c) => c.record.invocationId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(300);
      expect(
        (await store().listAvailableForRun({ namespace: NS, afterRevision: 0, limit: 10, taskId: "" })).records,
      ).toEqual([]);
    });

    test("reads changes from a revision, in pages", async () => {
      await startRunning(store(), "a", "r1");
      await store().transition(command("b", S.REGISTERED));
      expect((await store().readChanges(2, 2)).map((c) => c.record.revision)).toEqual([2, 3]);
      expect((await store().readChanges(4, 10)).map((c) => c.record.invocationId)).toEqual(["b"]);
      expect(await store().readChanges(5, 10)).toEqual([]);
    });
  });
}
