import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { RecoveryRule, InvocationStatus as S } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

describe.each(["grpc", "connect", "grpcWeb"] as const)("runner lifecycle over %s", (protocol) => {
  const client = () => server[protocol];
  const task = `claim-${protocol}`;

  test("ClaimAvailable takes the oldest available invocations as PENDING for the runner", async () => {
    for (let i = 0; i < 5; i++)
      await client().transition({ invocationId: `${task}-${i}`, status: S.REGISTERED, taskId: task });
    const first = await client().claimAvailable({ runnerId: "r1", maxCount: 3, taskId: task });
    expect(first.records.map((r) => [r.invocationId, r.status, r.runnerId])).toEqual([
      [`${task}-0`, S.PENDING, "r1"],
      [`${task}-1`, S.PENDING, "r1"],
      [`${task}-2`, S.PENDING, "r1"],
    ]);
    const rest = await client().claimAvailable({ runnerId: "r2", maxCount: 0, taskId: task });
    expect(rest.records.map((r) => r.invocationId)).toEqual([`${task}-3`]);
    await client().claimAvailable({ runnerId: "r2", maxCount: 10, taskId: task });
    expect((await client().claimAvailable({ runnerId: "r3", maxCount: 10, taskId: task })).records).toEqual([]);
  });

  test("ClaimAvailable and Heartbeat reject a missing runner id or a negative count", async () => {
    await expectRpcError(
      client().claimAvailable({ runnerId: "", maxCount: 1 }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
    await expectRpcError(
      client().claimAvailable({ runnerId: "r1", maxCount: -1 }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
    await expectRpcError(client().heartbeat({ runnerId: "" }), Code.InvalidArgument, "INVALID_ARGUMENT");
  });

  test("Heartbeat answers with the server's clock", async () => {
    const before = Date.now();
    const { serverTime } = await client().heartbeat({ runnerId: "r1" });
    const ms = Number(serverTime!.seconds) * 1000 + serverTime!.nanos / 1e6;
    expect(ms).toBeGreaterThanOrEqual(before - 1000);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test("a request_id makes a retried Transition return the first outcome without a second change", async () => {
    const id = `idem-${protocol}`;
    await client().transition({ invocationId: id, status: S.REGISTERED });
    const first = await client().transition({
      invocationId: id,
      status: S.PENDING,
      runnerId: "r1",
      requestId: `${id}-k`,
    });
    const retry = await client().transition({
      invocationId: id,
      status: S.PENDING,
      runnerId: "r1",
      requestId: `${id}-k`,
    });
    expect(retry).toEqual(first);
    expect((await client().getHistory({ invocationId: id })).entries).toHaveLength(2);
    const reused = await expectRpcError(
      client().transition({ invocationId: id, status: S.RUNNING, runnerId: "r1", requestId: `${id}-k` }),
      Code.InvalidArgument,
      "REQUEST_ID_REUSED",
    );
    expect(reused.findDetails(ErrorInfoSchema)[0]?.metadata.requestId).toBe(`${id}-k`);
    expect((await client().get({ invocationId: id })).record?.status).toBe(S.PENDING);
  });
});

describe("recovery and retention in a running server", () => {
  test("invocations of a silent runner and stale PENDING ones are recovered, with reasons in their history", async () => {
    const own = await startTestServer({
      store: "memory",
      recovery: { maxPendingMs: 300, runnerDeadAfterMs: 600 },
      maintenanceIntervalMs: 100,
    });
    const c = own.grpc;
    await c.transition({ invocationId: "stale", status: S.REGISTERED });
    await c.transition({ invocationId: "stale", status: S.PENDING, runnerId: "gone" });
    await c.transition({ invocationId: "crashed", status: S.REGISTERED });
    await c.transition({ invocationId: "crashed", status: S.PENDING, runnerId: "dead-runner" });
    await c.transition({ invocationId: "crashed", status: S.RUNNING, runnerId: "dead-runner" });
    await c.transition({ invocationId: "healthy", status: S.REGISTERED });
    await c.transition({ invocationId: "healthy", status: S.PENDING, runnerId: "live-runner" });
    await c.transition({ invocationId: "healthy", status: S.RUNNING, runnerId: "live-runner" });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      await c.heartbeat({ runnerId: "live-runner" });
      const statuses = await Promise.all(
        ["stale", "crashed"].map(async (id) => (await c.get({ invocationId: id })).record?.status),
      );
      if (statuses.every((s) => s === S.REROUTED)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const crashed = (await c.getHistory({ invocationId: "crashed" })).entries;
    expect(crashed.slice(-2).map((e) => [e.record?.status, e.record?.runnerId])).toEqual([
      [S.RUNNING_RECOVERY, undefined],
      [S.REROUTED, undefined],
    ]);
    expect(crashed.at(-1)?.reason).toMatch(/runner dead-runner silent .* runner-dead-after-seconds 0.6/);
    // The server made the recovery changes; the runner made the others.
    expect(crashed.map((e) => e.principal)).toEqual(["", "", "", "system", "system"]);
    expect(crashed.at(-2)?.previousRunnerId).toBe("dead-runner");
    // A watch sends the same facts with each change.
    const watched = [];
    const watch = new AbortController();
    const request = { invocationIds: ["crashed"], startRevision: 1n };
    for await (const event of c.watchStatus(request, { signal: watch.signal })) {
      if (event.event.case === "progress") break;
      if (event.event.case === "change") watched.push(event.event.value);
    }
    watch.abort();
    expect(watched.map((w) => [w.principal, w.reason, w.previousRunnerId])).toEqual(
      crashed.map((e) => [e.principal, e.reason, e.previousRunnerId]),
    );
    const stale = (await c.getHistory({ invocationId: "stale" })).entries;
    expect(stale.slice(-2).map((e) => e.record?.status)).toEqual([S.PENDING_RECOVERY, S.REROUTED]);
    expect(stale.at(-1)?.reason).toMatch(/max-pending-seconds 0.3/);
    expect((await c.get({ invocationId: "healthy" })).record?.status).toBe(S.RUNNING);
    // Rerouted invocations can be claimed again.
    const claimed = await c.claimAvailable({ runnerId: "new-runner", maxCount: 10 });
    expect(claimed.records.map((r) => r.invocationId).sort()).toEqual(["crashed", "stale"]);
    await own.close();
  });

  test("with recovery off nothing is recovered, ListRecoveryCandidates names what would be, and retention still runs", async () => {
    const own = await startTestServer({
      store: "memory",
      recoveryEnabled: false,
      recovery: { maxPendingMs: 100, runnerDeadAfterMs: 100 },
      retention: { maxChanges: 3 },
      maintenanceIntervalMs: 50,
    });
    const c = own.grpc;
    await c.transition({ invocationId: "stale", status: S.REGISTERED });
    await c.transition({ invocationId: "stale", status: S.PENDING, runnerId: "gone" });
    await c.transition({ invocationId: "crashed", status: S.REGISTERED });
    await c.transition({ invocationId: "crashed", status: S.PENDING, runnerId: "dead-runner" });
    await c.transition({ invocationId: "crashed", status: S.RUNNING, runnerId: "dead-runner" });
    await new Promise((r) => setTimeout(r, 600));
    expect((await c.get({ invocationId: "stale" })).record?.status).toBe(S.PENDING);
    expect((await c.get({ invocationId: "crashed" })).record?.status).toBe(S.RUNNING);
    expect(own.server.store.currentRevision()).toBe(5);
    const candidates = async (rule: RecoveryRule) =>
      (await c.listRecoveryCandidates({ rule, threshold: { nanos: 100_000_000 } })).records.map((r) => r.invocationId);
    expect(await candidates(RecoveryRule.PENDING_TIMEOUT)).toEqual(["stale"]);
    expect(await candidates(RecoveryRule.DEAD_RUNNER)).toEqual(["crashed"]);
    // Retention ran: only the last 3 changes are kept.
    expect(own.server.store.oldestRevision()).toBe(3);
    await own.close();
  });

  test("a watch from a compacted revision is OUT_OF_RANGE naming the oldest kept", async () => {
    const own = await startTestServer({ store: "memory", retention: { maxChanges: 5 }, maintenanceIntervalMs: 50 });
    for (let i = 0; i < 20; i++) await own.grpc.transition({ invocationId: `r-${i}`, status: S.REGISTERED });
    await new Promise((r) => setTimeout(r, 300));
    const stream = own.grpc.watchStatus({ startRevision: 2n });
    const error = await expectRpcError(
      (async () => {
        for await (const _ of stream) return;
      })(),
      Code.OutOfRange,
      "REVISION_COMPACTED",
    );
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata.oldestRevision).toBe("16");
    await own.close();
  });
});
