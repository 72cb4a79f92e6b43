import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import {
  InvocationStatus as S,
  StatusService,
  type WatchStatusResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { expectRpcError } from "../e2e/rpc-errors.js";
import { waitUntil } from "../helpers/child-processes.js";
import { connectHttp2, grpcFrameHeader, grpcHeaders, streamEnd } from "../helpers/http2-abuse.js";
import { startTestServer } from "../helpers/in-process-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { liveBytes, nextStats, STATS_FLAGS } from "../helpers/server-stats.js";

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-abuse-watchers-"));
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(dir, { recursive: true, force: true });
});

/** Open a watch and wait for its first progress mark; abort the controller to end it. */
async function openWatch(client: Client<typeof StatusService>, controller: AbortController): Promise<void> {
  const iterator = client.watchStatus({}, { signal: controller.signal })[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect((first.value as WatchStatusResponse | undefined)?.event.case).toBe("progress");
  // Read on in the background so the watch stays a live, healthy one.
  void (async () => {
    try {
      while (!(await iterator.next()).done);
    } catch {
      // Aborted.
    }
  })();
}

/** Register `count` invocations, `parallel` at a time, with ids and tasks long enough to weigh. */
async function register(client: Client<typeof StatusService>, prefix: string, count: number, parallel = 100) {
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, count - i) }, (_, k) =>
        client.transition({
          invocationId: `${prefix}-${i + k}-${"i".repeat(480)}`,
          status: S.REGISTERED,
          taskId: `task-${"t".repeat(480)}`,
        }),
      ),
    );
  }
}

describe("the watcher cap", () => {
  test("--max-watchers holds over both ports: one more is RESOURCE_EXHAUSTED (TOO_MANY_WATCHERS), and an ended watch frees its place", async () => {
    const server = await startTestServer({ store: "memory", maxWatchers: 3 });
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    try {
      await openWatch(server.grpc, controllers[0]!);
      await openWatch(server.connect, controllers[1]!);
      await openWatch(server.grpcWeb, controllers[2]!);
      for (const client of [server.grpc, server.connect]) {
        const error = await expectRpcError(
          openWatch(client, new AbortController()),
          Code.ResourceExhausted,
          "TOO_MANY_WATCHERS",
        );
        expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ maxWatchers: "3" });
      }
      controllers[1]!.abort();
      const again = new AbortController();
      controllers.push(again);
      await expect
        .poll(
          () =>
            openWatch(server.connect, again).then(
              () => "open",
              (e: unknown) => String(e),
            ),
          { timeout: 5_000 },
        )
        .toBe("open");
    } finally {
      for (const c of controllers) c.abort();
      await server.close();
    }
  });
});

describe("a watcher that stops reading", () => {
  // Enough changes held (about 2.3 KB each here) for the memory to show against the noise.
  const BUFFER = 5_000;

  async function startServer(name: string, buffer: number): Promise<ServerProcess> {
    // SQLite: its changes live in the file, so what a stalled watcher holds is all that keeps them in memory.
    const server = await startServerProcess(
      [
        "--store",
        `sqlite:${join(dir, `${name}.db`)}`,
        "--watch-buffer",
        String(buffer),
        "--watch-cutoff-grace-seconds",
        "2",
        ...STATS_FLAGS.flags,
      ],
      { nodeFlags: [...STATS_FLAGS.nodeFlags] },
    );
    servers.push(server);
    return server;
  }

  test("gRPC port: cut off within its buffer's worth of changes without reading, its stream reset, and its memory freed", async () => {
    const server = await startServer("stalled-grpc", BUFFER);
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    // Warm up (compiled code, caches, the client's connection) with a watch that reads, before the baseline.
    const warming = new AbortController();
    await openWatch(client, warming);
    await register(client, "warm", 1_000);
    warming.abort();
    const before = liveBytes(await nextStats(server));
    const session = await connectHttp2(server.grpcAddress);
    const stream = session.request(grpcHeaders("WatchStatus"));
    stream.end(grpcFrameHeader(0));
    stream.pause(); // never read: flow control stops the server's writes
    let ended = false;
    const end = streamEnd(stream).finally(() => (ended = true));
    // Nearly a buffer's worth: the watcher holds them, and the memory shows it.
    await register(client, "held", BUFFER - 200);
    const holding = liveBytes(await nextStats(server)) - before;
    expect(ended).toBe(false);
    // Past the buffer and what the transport itself holds (a flow-control window, a few messages):
    // the server drops the buffer, and resets the stream once the client has not read for a while.
    await register(client, "over", 400);
    // RST_STREAM ENHANCE_YOUR_CALM (gRPC clients read it as RESOURCE_EXHAUSTED), without a read.
    expect((await end).rstCode).toBe(11);
    // What is left is compiled code and such, not the changes (a heap snapshot has none of their ids).
    const after = liveBytes(await nextStats(server)) - before;
    expect(holding / MiB).toBeGreaterThan(4);
    expect(after / MiB).toBeLessThan(holding / MiB / 2);
    session.destroy();
  }, 120_000);

  test("HTTP port: a Connect watch cut off without reading has its connection closed", async () => {
    const server = await startServer("stalled-connect", 500);
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    await register(client, "warm", 10);
    const sockets = () =>
      readdirSync(`/proc/${server.child.pid}/fd`).filter((fd) =>
        readlinkSync(`/proc/${server.child.pid}/fd/${fd}`).startsWith("socket:"),
      ).length;
    const [host, port] = server.httpAddress.split(":") as [string, string];
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request({
        host,
        port: Number(port),
        method: "POST",
        path: "/pynenc.status.v1.StatusService/WatchStatus",
        headers: { "content-type": "application/connect+json" },
      });
      const body = Buffer.from("{}");
      request.end(Buffer.concat([grpcFrameHeader(body.length), body]));
      request.on("response", resolve);
      request.on("error", reject);
    });
    response.pause(); // never read
    const watching = sockets();
    await register(client, "held", 300);
    expect(sockets()).toBe(watching);
    // Past the buffer and what the sockets hold (their send and receive buffers, a few MB on loopback):
    // the server drops the connection, which the client, not reading, does not notice yet.
    await register(client, "over", 5_000);
    await waitUntil(
      () => sockets() < watching,
      30_000,
      () => "the watch's connection to be closed",
      200,
    );
    // Read on: what the sockets held, then the end of a connection that never sent its end of stream.
    const ended = new Promise<boolean>((resolve) => response.on("close", () => resolve(response.complete)));
    response.resume();
    expect(await ended).toBe(false);
  }, 120_000);
});

describe("a watch from a future start_revision", () => {
  test("gets no progress mark beyond the store's revision, and then its changes", async () => {
    const server = await startTestServer({ store: "memory", watchProgressIntervalMs: 100 });
    try {
      for (let i = 0; i < 5; i++) await server.grpc.transition({ invocationId: `f-${i}`, status: S.REGISTERED });
      const controller = new AbortController();
      const progress: bigint[] = [];
      for await (const response of server.grpc.watchStatus(
        { startRevision: 1_000_000n },
        { signal: controller.signal },
      )) {
        if (response.event.case === "progress") progress.push(response.event.value.revision);
        if (progress.length === 3) break;
      }
      controller.abort();
      expect(progress).toEqual([5n, 5n, 5n]);
    } finally {
      await server.close();
    }
  });
});
