import * as http from "node:http";
import type { ClientHttp2Stream } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { afterAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { connectHttp2, grpcFrameHeader, grpcHeaders, type StreamEnd } from "../helpers/http2-abuse.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { liveBytes, nextStats, STATS_FLAGS } from "../helpers/server-stats.js";

const MiB = 1024 * 1024;
/** A message just under the 4 MiB limit, of which all but the last KiB is sent before the client stalls. */
const MESSAGE_BYTES = 4 * MiB - 64;
const SENT_BYTES = MESSAGE_BYTES - 1024;
// Long enough for the requests to arrive on a loaded machine, so the memory they hold shows.
const TIMEOUT_SECONDS = 10;
const servers: ServerProcess[] = [];
afterAll(() => Promise.all(servers.map((s) => s.kill())));

async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess(
    ["--store", "memory", "--request-timeout-seconds", String(TIMEOUT_SECONDS), ...STATS_FLAGS.flags],
    { nodeFlags: [...STATS_FLAGS.nodeFlags] },
  );
  servers.push(server);
  return server;
}

/**
 * The memory the server holds for stalled requests, from its stats lines before the request
 * timeout: once it is over `enough` bytes more than `before`, or the most seen by the timeout.
 */
async function heldWhileStalled(server: ServerProcess, started: number, before: number, enough: number) {
  let peak = 0;
  while (peak - before <= enough && Date.now() - started < TIMEOUT_SECONDS * 1000 - 1_000) {
    peak = Math.max(peak, liveBytes(await nextStats(server)));
  }
  return peak - before;
}

/** Resolves when the stream closes: its grpc-status, RST_STREAM code and ErrorInfo reason. */
function grpcEnd(stream: ClientHttp2Stream): Promise<StreamEnd & { reason?: string }> {
  let headers: http.IncomingHttpHeaders = {};
  stream.on("response", (h) => (headers = { ...headers, ...h }));
  stream.on("trailers", (h) => (headers = { ...headers, ...h }));
  stream.on("error", () => {});
  return new Promise((resolve) =>
    stream.once("close", () => {
      const details = headers["grpc-status-details-bin"];
      const status = typeof details === "string" ? fromBinary(StatusSchema, Buffer.from(details, "base64")) : undefined;
      const info = status?.details.map((d) => anyUnpack(d, ErrorInfoSchema)).find((i) => i !== undefined);
      const grpcStatus = headers["grpc-status"] === undefined ? undefined : Number(headers["grpc-status"]);
      resolve({ grpcStatus, rstCode: stream.rstCode, reason: info?.reason });
    }),
  );
}

describe("requests that never finish arriving", () => {
  test("gRPC port: 100 streams that each send most of a 4 MiB message and stall are cut off, and their memory returns", async () => {
    const server = await startServer();
    const before = liveBytes(await nextStats(server));
    const session = await connectHttp2(server.grpcAddress);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1000);
    const count = 100;
    const started = Date.now();
    const ends = Array.from({ length: count }, () => {
      const stream = session.request(grpcHeaders("Transition"));
      stream.write(grpcFrameHeader(MESSAGE_BYTES));
      stream.write(Buffer.alloc(SENT_BYTES, 7));
      return grpcEnd(stream);
    });
    // The server holds what arrived (about 400 MB) while the requests wait for their last KiB.
    const half = (count * SENT_BYTES) / 2;
    expect(await heldWhileStalled(server, started, before, half)).toBeGreaterThan(half);
    const results = await Promise.all(ends);
    const elapsed = (Date.now() - started) / 1000;
    // DEADLINE_EXCEEDED with the reason, then the stream reset with NO_ERROR ("stop sending").
    expect(new Set(results.map((r) => `${r.grpcStatus} ${r.reason} ${r.rstCode}`))).toEqual(
      new Set(["4 REQUEST_TIMEOUT 0"]),
    );
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_SECONDS - 0.5);
    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS + 15);
    const after = liveBytes(await nextStats(server));
    expect((after - before) / MiB).toBeLessThan(16);
    session.destroy();
  }, 120_000);

  test("HTTP port: 50 Connect requests that each send most of a 4 MiB body and stall get 408 and are closed, and their memory returns", async () => {
    const server = await startServer();
    const before = liveBytes(await nextStats(server));
    const [host, port] = server.httpAddress.split(":") as [string, string];
    const count = 50;
    const started = Date.now();
    const ends = Array.from(
      { length: count },
      () =>
        new Promise<number | undefined>((resolve) => {
          const request = http.request({
            host,
            port: Number(port),
            method: "POST",
            path: "/pynenc.status.v1.StatusService/Transition",
            headers: { "content-type": "application/proto", "content-length": String(MESSAGE_BYTES) },
          });
          request.on("response", (response) => {
            response.resume();
            response.on("close", () => resolve(response.statusCode));
          });
          request.on("error", () => resolve(undefined));
          request.write(Buffer.alloc(SENT_BYTES, 7));
        }),
    );
    const half = (count * SENT_BYTES) / 2;
    expect(await heldWhileStalled(server, started, before, half)).toBeGreaterThan(half);
    const statuses = await Promise.all(ends);
    expect(new Set(statuses)).toEqual(new Set([408]));
    expect((Date.now() - started) / 1000).toBeLessThan(TIMEOUT_SECONDS + 15);
    const after = liveBytes(await nextStats(server));
    expect((after - before) / MiB).toBeLessThan(16);
  }, 120_000);
});
