import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import {
  InvocationStatus as S,
  type StatusService,
  type WatchStatusResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory", allowPurge: true, watchProgressIntervalMs: 200 });
});
afterAll(() => server.close());

/** The changes a watch sends until its first progress mark (a replay or a snapshot, then caught up). */
async function untilCaughtUp(stream: AsyncIterable<WatchStatusResponse>, controller: AbortController) {
  const seen: Array<{ id: string; status: S; initial: boolean }> = [];
  for await (const event of stream) {
    if (event.event.case === "progress") break;
    const { record, initial } = event.event.value!;
    seen.push({ id: record!.invocationId, status: record!.status, initial });
  }
  controller.abort();
  return seen;
}

describe.each(["grpc", "connect", "grpcWeb"] as const)("namespaces over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  const a = `ns-a-${protocol}`;
  const b = `ns-b-${protocol}`;
  beforeAll(async () => {
    client = server[protocol];
    // The same id in two namespaces: two invocations, each with its own task and life.
    await client.transition({ namespace: a, invocationId: "shared", status: S.REGISTERED, taskId: "task-a" });
    await client.transition({ namespace: b, invocationId: "shared", status: S.REGISTERED, taskId: "task-b" });
    await client.transition({ namespace: a, invocationId: "shared", status: S.PENDING, runnerId: "runner-a" });
    await client.transition({ namespace: a, invocationId: "only-a", status: S.REGISTERED });
  });

  test("Get, BatchGet and GetHistory read their own namespace; another one does not know the id", async () => {
    expect((await client.get({ namespace: a, invocationId: "shared" })).record).toMatchObject({
      namespace: a,
      status: S.PENDING,
      taskId: "task-a",
    });
    expect((await client.get({ namespace: b, invocationId: "shared" })).record).toMatchObject({
      namespace: b,
      status: S.REGISTERED,
      taskId: "task-b",
    });
    await expectRpcError(client.get({ invocationId: "shared" }), Code.NotFound, "INVOCATION_NOT_FOUND");
    await expectRpcError(client.get({ namespace: b, invocationId: "only-a" }), Code.NotFound);
    expect((await client.batchGet({ namespace: b, invocationIds: ["shared", "only-a"] })).records).toHaveLength(1);
    expect((await client.getHistory({ namespace: a, invocationId: "shared" })).entries).toHaveLength(2);
    expect((await client.getHistory({ namespace: b, invocationId: "shared" })).entries).toHaveLength(1);
    await expectRpcError(client.getHistory({ namespace: b, invocationId: "only-a" }), Code.NotFound);
  });

  test("a transition in one namespace does not see the other's record", async () => {
    // In b, "shared" is REGISTERED, whatever it is in a: b's runner may take it.
    const taken = await client.transition({ namespace: b, invocationId: "shared", status: S.PENDING, runnerId: "rb" });
    expect(taken.record).toMatchObject({ namespace: b, runnerId: "rb" });
    expect((await client.get({ namespace: a, invocationId: "shared" })).record?.runnerId).toBe("runner-a");
    await expectRpcError(
      client.transition({ namespace: b, invocationId: "only-a", status: S.PENDING, runnerId: "rb" }),
      Code.NotFound,
      "INVOCATION_NOT_FOUND",
    );
  });

  test("lists, counts, availability and claims are per namespace", async () => {
    const ns = `ns-lists-${protocol}`;
    const other = `${ns}-other`;
    await client.transition({ namespace: ns, invocationId: "x", status: S.REGISTERED });
    await client.transition({ namespace: other, invocationId: "y", status: S.REGISTERED });
    expect((await client.listInvocations({ namespace: ns })).records.map((r) => r.invocationId)).toEqual(["x"]);
    expect((await client.countInvocations({ namespace: ns })).total).toBe(1n);
    expect((await client.listAvailableForRun({ namespace: ns })).records.map((r) => r.invocationId)).toEqual(["x"]);
    const claimed = await client.claimAvailable({ namespace: ns, runnerId: "r", maxCount: 10 });
    expect(claimed.records.map((r) => [r.namespace, r.invocationId])).toEqual([[ns, "x"]]);
    expect((await client.listAvailableForRun({ namespace: other })).records.map((r) => r.invocationId)).toEqual(["y"]);
    // A page token of one namespace does not continue a list of another.
    await client.transition({ namespace: other, invocationId: "z", status: S.REGISTERED });
    const token = (await client.listAvailableForRun({ namespace: other, pageSize: 1 })).nextPageToken;
    expect(token).not.toBe("");
    await expectRpcError(
      client.listAvailableForRun({ namespace: ns, pageSize: 1, pageToken: token }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
  });

  test("request ids are per namespace: the same key applies once in each", async () => {
    const key = `key-${protocol}`;
    for (const namespace of [a, b]) {
      await client.transition({ namespace, invocationId: "keyed", status: S.REGISTERED, requestId: key });
    }
    expect((await client.get({ namespace: a, invocationId: "keyed" })).record?.namespace).toBe(a);
    expect((await client.get({ namespace: b, invocationId: "keyed" })).record?.namespace).toBe(b);
  });

  test("a watch sees only its namespace's changes, in a replay, a snapshot and live", async () => {
    const ns = `ns-watch-${protocol}`;
    const other = `${ns}-other`;
    const start = BigInt(server.server.store.currentRevision() + 1);
    await client.transition({ namespace: other, invocationId: "w", status: S.REGISTERED });
    await client.transition({ namespace: ns, invocationId: "w", status: S.REGISTERED });
    const replay = new AbortController();
    const replayed = await untilCaughtUp(
      client.watchStatus({ namespace: ns, startRevision: start }, { signal: replay.signal }),
      replay,
    );
    expect(replayed).toEqual([{ id: "w", status: S.REGISTERED, initial: false }]);
    const snapshot = new AbortController();
    const initial = await untilCaughtUp(
      client.watchStatus({ namespace: ns, includeInitial: true }, { signal: snapshot.signal }),
      snapshot,
    );
    expect(initial).toEqual([{ id: "w", status: S.REGISTERED, initial: true }]);
    // Live: a change of the other namespace, then one of ours; only ours arrives.
    const live = new AbortController();
    const events: WatchStatusResponse[] = [];
    const watching = (async () => {
      for await (const event of client.watchStatus({ namespace: ns }, { signal: live.signal })) {
        events.push(event);
        if (event.event.case === "change") break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.transition({ namespace: other, invocationId: "w", status: S.PENDING, runnerId: "r" });
    await client.transition({ namespace: ns, invocationId: "w", status: S.PENDING, runnerId: "r" });
    await watching;
    live.abort();
    const change = events.find((e) => e.event.case === "change")!.event.value as { record: { namespace: string } };
    expect(change.record.namespace).toBe(ns);
  });

  test("heartbeats and runners are per namespace", async () => {
    await client.heartbeat({ namespace: a, runnerId: `only-in-a-${protocol}` });
    expect((await client.listRunners({ namespace: a })).runners.map((r) => r.runnerId)).toContain(
      `only-in-a-${protocol}`,
    );
    expect((await client.listRunners({ namespace: b })).runners.map((r) => r.runnerId)).not.toContain(
      `only-in-a-${protocol}`,
    );
  });

  test("BatchTransition items each name their namespace", async () => {
    const { results } = await client.batchTransition({
      requests: [
        { namespace: a, invocationId: "batched", status: S.REGISTERED },
        { namespace: b, invocationId: "batched", status: S.REGISTERED },
      ],
    });
    expect(results.map((r) => r.result.case === "response" && r.result.value.record?.namespace)).toEqual([a, b]);
  });
});

describe("PurgeNamespace", () => {
  test("deletes one namespace's records, history and runners and leaves the others", async () => {
    const client = server.grpc;
    for (const namespace of ["purge-me", "keep-me"]) {
      await client.transition({ namespace, invocationId: "i", status: S.REGISTERED });
      await client.transition({ namespace, invocationId: "j", status: S.REGISTERED });
      await client.heartbeat({ namespace, runnerId: "r" });
    }
    const purged = await client.purgeNamespace({ namespace: "purge-me" });
    expect([purged.invocationsPurged, purged.runnersPurged]).toEqual([2n, 1n]);
    await expectRpcError(client.get({ namespace: "purge-me", invocationId: "i" }), Code.NotFound);
    await expectRpcError(client.getHistory({ namespace: "purge-me", invocationId: "i" }), Code.NotFound);
    expect((await client.countInvocations({ namespace: "purge-me" })).total).toBe(0n);
    expect((await client.listRunners({ namespace: "purge-me" })).runners).toEqual([]);
    expect((await client.countInvocations({ namespace: "keep-me" })).total).toBe(2n);
    // A purged id can be registered again.
    await client.transition({ namespace: "purge-me", invocationId: "i", status: S.REGISTERED });
  });

  test.each(["grpc", "connect", "grpcWeb"] as const)(
    "without --allow-purge it is FAILED_PRECONDITION PURGE_DISABLED and deletes nothing (%s)",
    async (protocol) => {
      const own = await startTestServer({ store: "memory" });
      try {
        const client = own[protocol];
        await client.transition({ namespace: "n", invocationId: "i", status: S.REGISTERED });
        const error = await expectRpcError(
          client.purgeNamespace({ namespace: "n" }),
          Code.FailedPrecondition,
          "PURGE_DISABLED",
        );
        expect(error.findDetails(ErrorInfoSchema)[0]?.metadata.namespace).toBe("n");
        expect((await client.get({ namespace: "n", invocationId: "i" })).record?.status).toBe(S.REGISTERED);
      } finally {
        await own.close();
      }
    },
  );
});
