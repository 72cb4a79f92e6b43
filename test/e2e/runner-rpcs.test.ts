import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, type StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  // A runner is dead after 1 s of silence unless a request says otherwise.
  server = await startTestServer({ store: "memory", recovery: { maxPendingMs: 3_600_000, runnerDeadAfterMs: 1_000 } });
});
afterAll(() => server.close());

describe.each(["grpc", "connect", "grpcWeb"] as const)("Heartbeat and ListRunners over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  let n = 0;
  const ns = () => `runners-${protocol}-${n++}`;
  beforeAll(() => {
    client = server[protocol];
  });

  test("one heartbeat for many runners has one server time; runners are listed by creation time, then id", async () => {
    const namespace = ns();
    const first = await client.heartbeat({ namespace, runnerId: "parent", runnerIds: ["child-b", "child-a"] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await client.heartbeat({ namespace, runnerIds: ["later"] });
    const { runners, serverTime } = await client.listRunners({ namespace });
    expect(runners.map((r) => r.runnerId)).toEqual(["child-a", "child-b", "parent", "later"]);
    for (const runner of runners.slice(0, 3)) {
      expect(runner.createdAt).toEqual(first.serverTime);
      expect(runner.lastHeartbeat).toEqual(first.serverTime);
    }
    expect(timestampMs(serverTime!)).toBeGreaterThanOrEqual(timestampMs(first.serverTime!));
    expect(runners.every((r) => r.alive)).toBe(true);
  });

  test("can_run_atomic_service and consumed_queues: set when given, kept when unset, replaced by an empty list", async () => {
    const namespace = ns();
    const info = async () => (await client.listRunners({ namespace })).runners[0]!;
    await client.heartbeat({ namespace, runnerId: "r" });
    expect(await info()).toMatchObject({ canRunAtomicService: false, consumedQueues: [] });
    await client.heartbeat({
      namespace,
      runnerId: "r",
      canRunAtomicService: true,
      consumedQueues: { queues: ["q1", "q2"] },
    });
    expect(await info()).toMatchObject({ canRunAtomicService: true, consumedQueues: ["q1", "q2"] });
    await client.heartbeat({ namespace, runnerId: "r" });
    expect(await info()).toMatchObject({ canRunAtomicService: true, consumedQueues: ["q1", "q2"] });
    await client.heartbeat({ namespace, runnerId: "r", canRunAtomicService: false, consumedQueues: {} });
    expect(await info()).toMatchObject({ canRunAtomicService: false, consumedQueues: [] });
  });

  test("alive is judged on the server's clock against dead_after or --runner-dead-after-seconds; filters", async () => {
    const namespace = ns();
    await client.heartbeat({ namespace, runnerId: "old", canRunAtomicService: true });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await client.heartbeat({ namespace, runnerId: "fresh" });
    const alive = async (request: Parameters<typeof client.listRunners>[0]) =>
      (await client.listRunners({ namespace, ...request })).runners.map((r) => [r.runnerId, r.alive]);
    expect(await alive({})).toEqual([
      ["old", false],
      ["fresh", true],
    ]);
    expect(await alive({ deadAfter: { seconds: 60n } })).toEqual([
      ["old", true],
      ["fresh", true],
    ]);
    expect(await alive({ aliveOnly: true })).toEqual([["fresh", true]]);
    expect(await alive({ canRunAtomicService: true })).toEqual([["old", false]]);
    expect(await alive({ canRunAtomicService: false })).toEqual([["fresh", true]]);
    expect(await alive({ deadAfter: {} })).toEqual([
      ["old", false],
      ["fresh", false],
    ]);
  });

  test("each runner lists the invocations it owns per status, only statuses with some", async () => {
    const namespace = ns();
    await client.heartbeat({ namespace, runnerIds: ["owner", "idle"] });
    for (const id of ["i1", "i2", "i3"]) {
      await client.transition({ namespace, invocationId: id, status: S.REGISTERED });
      await client.transition({ namespace, invocationId: id, status: S.PENDING, runnerId: "owner" });
    }
    await client.transition({ namespace, invocationId: "i3", status: S.RUNNING, runnerId: "owner" });
    const { runners } = await client.listRunners({ namespace });
    const owned = Object.fromEntries(runners.map((r) => [r.runnerId, r.owned.map((o) => [o.status, o.count])]));
    expect(owned).toEqual({
      owner: [
        [S.PENDING, 2n],
        [S.RUNNING, 1n],
      ],
      idle: [],
    });
  });

  test("a heartbeat without any runner id is INVALID_ARGUMENT", async () => {
    await expectRpcError(client.heartbeat({ namespace: ns() }), Code.InvalidArgument, "INVALID_ARGUMENT");
  });
});
