import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer } from "../helpers/in-process-server.js";
import { type Sample, sampleSum, scrapeMetrics } from "../helpers/prometheus-text.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { startServerProcess } from "../helpers/server-process.js";

type StatusClient = Client<typeof StatusService>;
const SERVICE = "pynenc.status.v1.StatusService";
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-metrics-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The RPC counters of one method on one protocol. */
function rpc(samples: Sample[], method: string, protocol: string, code?: string) {
  const labels = { grpc_service: SERVICE, grpc_method: method, protocol };
  return {
    started: sampleSum(samples, "grpc_server_started_total", labels),
    handled: sampleSum(
      samples,
      "grpc_server_handled_total",
      code === undefined ? labels : { ...labels, grpc_code: code },
    ),
    timed: sampleSum(samples, "grpc_server_handling_seconds_count", labels),
  };
}

/** pynenc_status_invocations of a namespace as a map from pynenc's status name. */
function gaugeOf(samples: Sample[], namespace: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.name === "pynenc_status_invocations" && s.labels.namespace === namespace)
      counts.set(s.labels.status!, s.value);
  }
  return counts;
}

/** CountInvocations of a namespace as a map from pynenc's status name (zeros included). */
async function countsOf(client: StatusClient, namespace: string): Promise<Map<string, number>> {
  const { counts } = await client.countInvocations({ namespace });
  return new Map(counts.map((c) => [S[c.status].toLowerCase(), Number(c.count)]));
}

/**
 * Register, run, finish and fail invocations in two namespaces, with rejected calls among them;
 * `clients` take turns. Returns how many changes were committed.
 */
async function mixedWorkload(clients: StatusClient[], tag: string): Promise<number> {
  let changes = 0;
  const pick = (i: number) => clients[i % clients.length]!;
  for (let i = 0; i < 24; i++) {
    const namespace = i % 3 === 0 ? "other" : "";
    const invocationId = `${tag}-${i}`;
    const moves: Array<[S, string?]> = [[S.REGISTERED]];
    if (i % 4 >= 1) moves.push([S.PENDING, "r1"]);
    if (i % 4 >= 2) moves.push([S.RUNNING, "r1"]);
    if (i % 4 === 3) moves.push([i % 8 === 3 ? S.SUCCESS : S.FAILED, "r1"]);
    for (const [k, [status, runnerId]] of moves.entries()) {
      await pick(i + k).transition({ namespace, invocationId, status, runnerId, taskId: `t${i % 2}` });
      changes++;
    }
    // A rejected move changes nothing.
    await expect(pick(i).transition({ namespace, invocationId, status: S.RETRY, runnerId: "r2" })).rejects.toThrow();
  }
  return changes;
}

describe("GET /metrics", () => {
  test("RPC, transition and rejection counters move by exactly the calls made, on every protocol", async () => {
    const server = await startTestServer();
    try {
      const before = await scrapeMetrics(server.server.httpAddress);
      expect(rpc(before, "Transition", "grpc").started).toBe(0);
      await server.grpc.transition({ invocationId: "a", status: S.REGISTERED });
      await server.grpc.transition({ invocationId: "b", status: S.REGISTERED });
      await server.grpc.transition({ invocationId: "c", status: S.REGISTERED, taskId: "t" });
      await server.grpc.transition({ invocationId: "a", status: S.PENDING, runnerId: "r1", validateOnly: true });
      await expect(server.grpc.transition({ invocationId: "a", status: S.SUCCESS })).rejects.toThrow();
      await expect(server.grpc.get({ invocationId: "nope" })).rejects.toThrow();
      await server.connect.transition({ invocationId: "a", status: S.PENDING, runnerId: "r1" });
      await expect(
        server.connect.transition({ invocationId: "b", status: S.RUNNING, runnerId: "r1" }),
      ).rejects.toThrow();
      // The same request id again returns the first change: one change, counted once.
      await server.connect.transition({ invocationId: "d", status: S.REGISTERED, requestId: "k" });
      await server.connect.transition({ invocationId: "d", status: S.REGISTERED, requestId: "k" });
      const claimed = await server.grpcWeb.claimAvailable({ runnerId: "r2", maxCount: 5 });
      expect(claimed.records).toHaveLength(3);

      const after = await scrapeMetrics(server.server.httpAddress);
      expect(rpc(after, "Transition", "grpc")).toEqual({ started: 5, handled: 5, timed: 5 });
      expect(rpc(after, "Transition", "grpc", "OK").handled).toBe(4);
      expect(rpc(after, "Transition", "grpc", "FailedPrecondition").handled).toBe(1);
      expect(rpc(after, "Get", "grpc", "NotFound")).toMatchObject({ started: 1, handled: 1 });
      expect(rpc(after, "Transition", "connect")).toEqual({ started: 4, handled: 4, timed: 4 });
      expect(rpc(after, "Transition", "connect", "FailedPrecondition").handled).toBe(1);
      expect(rpc(after, "ClaimAvailable", "grpc-web", "OK")).toMatchObject({ started: 1, handled: 1 });
      expect(rpc(after, "Transition", "grpc-web").started).toBe(0);
      const transitions = (from: string, to: string) =>
        sampleSum(after, "pynenc_status_transitions_total", { from, to });
      expect(transitions("none", "registered")).toBe(4);
      expect(transitions("registered", "pending")).toBe(4);
      expect(sampleSum(after, "pynenc_status_transitions_total")).toBe(8);
      expect(sampleSum(after, "pynenc_status_rejections_total", { reason: "INVALID_TRANSITION" })).toBe(2);
      expect(sampleSum(after, "pynenc_status_rejections_total")).toBe(2);
      expect(gaugeOf(after, "")).toEqual(await countsOf(server.grpc, ""));
      expect(sampleSum(after, "pynenc_status_revision")).toBe(8);
      // Node's default process metrics are there too.
      expect(after.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
      expect(after.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    } finally {
      await server.close();
    }
  });

  test("watchers are a gauge while open; every message they are sent is counted; a cancelled stream is Canceled", async () => {
    const server = await startTestServer();
    try {
      for (const id of ["x", "y", "z"]) await server.grpc.transition({ invocationId: id, status: S.REGISTERED });
      const controller = new AbortController();
      const stream = server.connect
        .watchStatus({ includeInitial: true }, { signal: controller.signal })
        [Symbol.asyncIterator]();
      const counts = server.grpc.watchCounts({}, { signal: controller.signal })[Symbol.asyncIterator]();
      await counts.next();
      const events: string[] = [];
      const next = async () => {
        const { value } = await stream.next();
        events.push(value.event.case === "change" && value.event.value.initial ? "initial" : value.event.case);
      };
      for (let i = 0; i < 4; i++) await next();
      expect(events).toEqual(["initial", "initial", "initial", "progress"]);
      await server.grpc.transition({ invocationId: "x", status: S.PENDING, runnerId: "r1" });
      await server.grpc.transition({ invocationId: "y", status: S.PENDING, runnerId: "r1" });
      for (let i = 0; i < 2; i++) await next();
      const open = await scrapeMetrics(server.server.httpAddress);
      expect(sampleSum(open, "pynenc_status_watchers", { grpc_method: "WatchStatus" })).toBe(1);
      expect(sampleSum(open, "pynenc_status_watchers", { grpc_method: "WatchCounts" })).toBe(1);
      const sent = (event: string) =>
        sampleSum(open, "pynenc_status_watch_events_sent_total", { grpc_method: "WatchStatus", event });
      expect([sent("initial"), sent("progress"), sent("change")]).toEqual([3, 1, 2]);
      expect(sampleSum(open, "pynenc_status_watch_events_sent_total", { grpc_method: "WatchCounts" })).toBe(1);
      controller.abort();
      await expect
        .poll(async () => {
          const closed = await scrapeMetrics(server.server.httpAddress);
          return [
            sampleSum(closed, "pynenc_status_watchers"),
            rpc(closed, "WatchStatus", "connect", "Canceled").handled,
            rpc(closed, "WatchCounts", "grpc", "Canceled").handled,
          ];
        })
        .toEqual([0, 1, 1]);
    } finally {
      await server.close();
    }
  });

  test("recovery passes and the invocations they recover are counted by kind", async () => {
    const server = await startTestServer({
      recovery: { maxPendingMs: 100, runnerDeadAfterMs: 3_600_000 },
      maintenanceIntervalMs: 50,
    });
    try {
      await server.grpc.transition({ invocationId: "p", status: S.REGISTERED });
      await server.grpc.transition({ invocationId: "p", status: S.PENDING, runnerId: "r1" });
      await expect
        .poll(async () => sampleSum(await scrapeMetrics(server.server.httpAddress), "pynenc_status_recovered_total"), {
          timeout: 10_000,
        })
        .toBe(1);
      const samples = await scrapeMetrics(server.server.httpAddress);
      expect(sampleSum(samples, "pynenc_status_recovered_total", { kind: "pending-timeout" })).toBe(1);
      expect(sampleSum(samples, "pynenc_status_recovery_passes_total")).toBeGreaterThan(0);
      expect(sampleSum(samples, "pynenc_status_transitions_total", { from: "pending", to: "pending_recovery" })).toBe(
        1,
      );
      expect(sampleSum(samples, "pynenc_status_transitions_total", { from: "pending_recovery", to: "rerouted" })).toBe(
        1,
      );
    } finally {
      await server.close();
    }
  });

  test("SQLite: the per-status gauge equals CountInvocations after a mixed workload and after a restart", async () => {
    const db = join(dir, "restart.db");
    const first = await startServerProcess(["--store", `sqlite:${db}`]);
    const clientOf = (address: string) =>
      createClient(StatusService, createGrpcTransport({ baseUrl: `http://${address}` }));
    try {
      const client = clientOf(first.grpcAddress);
      const changes = await mixedWorkload([client], "s");
      const samples = await scrapeMetrics(first.httpAddress);
      for (const namespace of ["", "other"])
        expect(gaugeOf(samples, namespace)).toEqual(await countsOf(client, namespace));
      expect(sampleSum(samples, "pynenc_status_transitions_total")).toBe(changes);
      expect(sampleSum(samples, "pynenc_status_sqlite_commit_group_size_sum")).toBeGreaterThanOrEqual(changes);
      expect(sampleSum(samples, "pynenc_status_sqlite_commit_seconds_count")).toBeGreaterThan(0);
    } finally {
      await first.stop();
    }
    const second = await startServerProcess(["--store", `sqlite:${db}`]);
    try {
      const client = clientOf(second.grpcAddress);
      const samples = await scrapeMetrics(second.httpAddress);
      for (const namespace of ["", "other"]) {
        const counts = await countsOf(client, namespace);
        expect([...counts.values()].reduce((a, b) => a + b)).toBeGreaterThan(0);
        expect(gaugeOf(samples, namespace)).toEqual(counts);
      }
      // Counters are the process's own: a restarted server starts them at zero.
      expect(sampleSum(samples, "pynenc_status_transitions_total")).toBe(0);
      expect(sampleSum(samples, "pynenc_status_revision")).toBe(Number((await client.countInvocations({})).revision));
    } finally {
      await second.stop();
    }
  });

  const redisAvailable = redisServerAvailable();
  describe.runIf(redisAvailable)("on Redis", () => {
    let redis: RedisServer;
    afterAll(async () => {
      await redis?.stop();
    });

    test("two replicas: each one's gauge equals CountInvocations; their transition counters add up to the changes", async () => {
      redis = await startRedisServer();
      const flags = ["--store", redis.url(), "--redis-prefix", "metrics"];
      const replicas = await Promise.all([startServerProcess(flags), startServerProcess(flags)]);
      try {
        const clients = replicas.map((r) =>
          createClient(StatusService, createGrpcTransport({ baseUrl: `http://${r.grpcAddress}` })),
        );
        const changes = await mixedWorkload(clients, "r");
        const scrapes = await Promise.all(replicas.map((r) => scrapeMetrics(r.httpAddress)));
        for (const namespace of ["", "other"]) {
          const counts = await countsOf(clients[0]!, namespace);
          expect([...counts.values()].reduce((a, b) => a + b)).toBeGreaterThan(0);
          for (const samples of scrapes) expect(gaugeOf(samples, namespace)).toEqual(counts);
        }
        const counted = scrapes.map((samples) => sampleSum(samples, "pynenc_status_transitions_total"));
        expect(counted.every((n) => n > 0)).toBe(true);
        expect(counted[0]! + counted[1]!).toBe(changes);
        const rejected = scrapes.map((samples) => sampleSum(samples, "pynenc_status_rejections_total"));
        expect(rejected[0]! + rejected[1]!).toBe(24);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
      }
    });
  });
});
