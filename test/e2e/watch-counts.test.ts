import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  InvocationStatus as S,
  type StatusService,
  type WatchCountsRequestSchema,
  type WatchCountsResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { PYNENC_0_3_STATUS_CONFIG, STATUS_CONFIG } from "../../src/core/index.js";
import { statusToProto } from "../../src/service/proto-conversions.js";
import { COUNTS_RECHECK_MS } from "../../src/service/status-service.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory", allowPurge: true });
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  readonly at: number;
  readonly update: WatchCountsResponse;
}

/** A count watch read in the background: every update with when it arrived. */
function watch(client: Client<typeof StatusService>, request: MessageInitShape<typeof WatchCountsRequestSchema>) {
  const controller = new AbortController();
  const received: Received[] = [];
  let error: unknown;
  const done = (async () => {
    try {
      for await (const update of client.watchCounts(request, { signal: controller.signal })) {
        received.push({ at: Date.now(), update });
      }
    } catch (e) {
      if (!controller.signal.aborted) error = e;
    }
  })();
  return {
    received,
    error: () => error,
    /** Wait until an update satisfies `test` (within `ms`); returns it. */
    async until(test: (update: WatchCountsResponse) => boolean, ms = 5_000): Promise<WatchCountsResponse> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find((r) => test(r.update));
        if (found !== undefined) return found.update;
        if (Date.now() > deadline || error !== undefined) {
          throw new Error(`no such update in ${ms} ms: ${JSON.stringify(received.map((r) => r.update.total))}`);
        }
        await sleep(10);
      }
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

const countOf = (update: WatchCountsResponse, status: S) => update.counts.find((c) => c.status === status)?.count;

describe.each(["grpc", "connect", "grpcWeb"] as const)("WatchCounts over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  beforeAll(() => {
    client = server[protocol];
  });

  test("sends the counts at once, every status of the profile, then the new ones after a change", async () => {
    const namespace = `counts-${protocol}`;
    await client.transition({ namespace, invocationId: "before", status: S.REGISTERED });
    const stream = watch(client, { namespace, interval: { nanos: 100_000_000 } });
    const first = await stream.until(() => true, 1_000);
    expect(first.counts.map((c) => c.status)).toEqual(STATUS_CONFIG.statuses.map(statusToProto));
    expect([first.total, countOf(first, S.REGISTERED), first.transitionsPerSecond]).toEqual([1n, 1n, 0]);
    await client.transition({ namespace, invocationId: "before", status: S.PENDING, runnerId: "r" });
    const next = await stream.until((u) => countOf(u, S.PENDING) === 1n);
    expect([next.total, countOf(next, S.REGISTERED)]).toEqual([1n, 0n]);
    expect(next.revision).toBeGreaterThan(first.revision);
    await stream.stop();
  });
});

describe("WatchCounts cadence", () => {
  const client = () => server.grpc;

  test("a burst of changes is coalesced: at most one update per interval, ending at the right counts", async () => {
    const namespace = "counts-burst";
    const intervalMs = 300;
    const stream = watch(client(), { namespace, interval: { nanos: intervalMs * 1_000_000 } });
    await stream.until(() => true);
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const requests = Array.from({ length: 10 }, (_, j) => ({
        namespace,
        invocationId: `burst-${i}-${j}`,
        status: S.REGISTERED,
      }));
      await client().batchTransition({ requests });
      await sleep(40);
    }
    const elapsed = Date.now() - started;
    await stream.until((u) => u.total === 200n);
    // Activity stopped: one more update says so, with the same counts.
    const quiet = await stream.until((u) => u.total === 200n && u.transitionsPerSecond === 0);
    expect(countOf(quiet, S.REGISTERED)).toBe(200n);
    await sleep(3 * intervalMs);
    await stream.stop();
    const updates = stream.received;
    const gaps = updates.slice(1).map((r, i) => r.at - updates[i]!.at);
    // Measured on the client, so with some jitter either way (a loaded machine delays one update,
    // not the next); the count of updates is the firm bound.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(intervalMs * 0.5);
    expect(updates.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / intervalMs) + 2);
    expect(updates.length).toBeLessThan(20);
    expect(Math.max(...updates.map((r) => r.update.transitionsPerSecond))).toBeGreaterThan(0);
    // Nothing after the quiet update: the counts no longer changed.
    expect(updates.at(-1)!.update).toEqual(quiet);
  });

  test("changes of other namespaces and other tasks send nothing", async () => {
    const namespace = "counts-quiet";
    const stream = watch(client(), { namespace, taskId: "mine", interval: { nanos: 100_000_000 } });
    await stream.until(() => true);
    for (let i = 0; i < 5; i++) {
      await client().transition({ namespace: "counts-elsewhere", invocationId: `e${i}`, status: S.REGISTERED });
      await client().transition({ namespace, invocationId: `o${i}`, status: S.REGISTERED, taskId: "other" });
    }
    await sleep(500);
    expect(stream.received).toHaveLength(1);
    await client().transition({ namespace, invocationId: "m", status: S.REGISTERED, taskId: "mine" });
    const mine = await stream.until((u) => u.total === 1n);
    expect(countOf(mine, S.REGISTERED)).toBe(1n);
    await stream.stop();
  });

  test("an interval under 100 ms is served as 100 ms", async () => {
    const namespace = "counts-fast";
    const stream = watch(client(), { namespace, interval: { nanos: 1_000_000 } });
    await stream.until(() => true);
    const started = Date.now();
    for (let i = 0; Date.now() < started + 700; i++) {
      await client().transition({ namespace, invocationId: `f${i}`, status: S.REGISTERED });
      await sleep(5);
    }
    await sleep(250);
    await stream.stop();
    const elapsed = Date.now() - started;
    const updates = stream.received;
    const gaps = updates.slice(1).map((r, i) => r.at - updates[i]!.at);
    expect(updates.length).toBeGreaterThan(3);
    expect(updates.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 100) + 1);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
  });

  test("a PurgeNamespace on this server is seen at the next interval", async () => {
    const namespace = "counts-purged";
    await client().transition({ namespace, invocationId: "p", status: S.REGISTERED });
    const stream = watch(client(), { namespace, interval: { nanos: 100_000_000 } });
    expect((await stream.until(() => true)).total).toBe(1n);
    await client().purgeNamespace({ namespace });
    const purgedAt = Date.now();
    await stream.until((u) => u.total === 0n, 1_000);
    expect(Date.now() - purgedAt).toBeLessThan(1_000);
    await stream.stop();
  });

  test("50 streams of one namespace follow the same counts", async () => {
    const namespace = "counts-fifty";
    const streams = Array.from({ length: 50 }, () => watch(client(), { namespace, interval: { nanos: 100_000_000 } }));
    await Promise.all(streams.map((s) => s.until(() => true)));
    await client().batchTransition({
      requests: Array.from({ length: 30 }, (_, i) => ({ namespace, invocationId: `s${i}`, status: S.REGISTERED })),
    });
    const finals = await Promise.all(streams.map((s) => s.until((u) => u.total === 30n)));
    expect(new Set(finals.map((u) => u.revision)).size).toBe(1);
    await Promise.all(streams.map((s) => s.stop()));
  });

  test("bad intervals and ids are INVALID_ARGUMENT", async () => {
    const first = (request: MessageInitShape<typeof WatchCountsRequestSchema>) =>
      (async () => {
        for await (const _ of client().watchCounts(request)) return;
      })();
    await expectRpcError(first({ interval: { seconds: -1n } }), Code.InvalidArgument, "INVALID_ARGUMENT");
    await expectRpcError(first({ namespace: "n".repeat(513) }), Code.InvalidArgument, "INVALID_ARGUMENT");
    await expectRpcError(first({ taskId: "t".repeat(513) }), Code.InvalidArgument, "INVALID_ARGUMENT");
  });
});

describe("WatchCounts beyond the change feed", () => {
  test(
    "invocations purged by retention are seen within the recheck period",
    async () => {
      const own = await startTestServer({
        store: "memory",
        config: PYNENC_0_3_STATUS_CONFIG,
        retention: { purgeFinalAfterMs: 200 },
        maintenanceIntervalMs: 100,
      });
      try {
        const client = own.grpc;
        const namespace = "retained";
        await client.transition({ namespace, invocationId: "done", status: S.REGISTERED });
        await client.transition({ namespace, invocationId: "done", status: S.PENDING, runnerId: "r" });
        await client.transition({ namespace, invocationId: "done", status: S.RUNNING, runnerId: "r" });
        await client.transition({ namespace, invocationId: "done", status: S.SUCCESS, runnerId: "r" });
        const stream = watch(client, { namespace, interval: { nanos: 100_000_000 } });
        const first = await stream.until(() => true);
        expect(first.counts.map((c) => c.status)).toEqual(PYNENC_0_3_STATUS_CONFIG.statuses.map(statusToProto));
        // Purged by retention within a few maintenance passes: no change in the feed says so.
        await stream.until((u) => u.total === 0n, COUNTS_RECHECK_MS + 3_000);
        await stream.stop();
      } finally {
        await own.close();
      }
    },
    COUNTS_RECHECK_MS + 10_000,
  );

  test("open count watches end with UNAVAILABLE when the server shuts down", async () => {
    const own = await startTestServer({ store: "memory" });
    const stream = watch(own.grpc, {});
    await stream.until(() => true);
    await own.close();
    await sleep(100);
    await stream.stop();
    expect(Code[(stream.error() as { code: Code }).code]).toBe("Unavailable");
  });
});
