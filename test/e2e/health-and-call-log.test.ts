// GET /healthz on the HTTP port, and at --log-level debug one log line per call on both ports.

import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { createHttpServer } from "../../src/server/http-server.js";
import { createLogger } from "../../src/server/logger.js";
import type { RunningServer } from "../../src/server/serve.js";
import { ServingHealth } from "../../src/server/serving-health.js";
import { createStatusService } from "../../src/service/status-service.js";
import { createMemoryStore } from "../../src/store/index.js";
import { startTestServer } from "../helpers/in-process-server.js";

interface CallLine {
  level: string;
  msg: string;
  port: "grpc" | "http";
  method: string;
  code: string;
  ms: number;
  peer: string;
}

const logs: string[] = [];
const callLines = () =>
  logs.map((line) => JSON.parse(line) as CallLine).filter((line) => line.msg === "call" && line.level === "debug");
let server: RunningServer;
beforeAll(async () => {
  server = (await startTestServer({ logger: createLogger("debug", (line) => logs.push(line)) })).server;
});
afterAll(() => server.close());

async function healthz(address: string, method = "GET") {
  const response = await fetch(`http://${address}/healthz`, { method });
  return { status: response.status, body: await response.text() };
}

describe("GET /healthz on the HTTP port", () => {
  test("a serving server answers 200 SERVING, to GET and to HEAD", async () => {
    expect(await healthz(server.httpAddress)).toEqual({ status: 200, body: "SERVING\n" });
    expect(await healthz(server.httpAddress, "HEAD")).toEqual({ status: 200, body: "" });
  });

  test("anything but SERVING is 503 with the status", async () => {
    const store = createMemoryStore();
    const http = createHttpServer(
      createStatusService({ store, watchBufferLimit: 10, watchProgressIntervalMs: 10_000, runnerDeadAfterMs: 60_000 }),
      { servingStatus: () => "NOT_SERVING" },
    );
    const port = await http.listen("127.0.0.1", 0);
    try {
      expect(await healthz(`127.0.0.1:${port}`)).toEqual({ status: 503, body: "NOT_SERVING\n" });
    } finally {
      await http.close();
      await store.close();
    }
  });

  test("it says what the gRPC port's Health says, as the server sets it", () => {
    const health = new ServingHealth({ "": "NOT_SERVING" });
    expect(health.statusOf()).toBe("NOT_SERVING");
    health.setStatus("", "SERVING");
    expect(health.statusOf("")).toBe("SERVING");
    expect(health.statusOf("no.such.Service")).toBe("UNKNOWN");
  });
});

describe("--log-level debug: one line per call on both ports, without messages or headers", () => {
  const SECRET_ID = "do-not-log-this-id";
  const TOKEN = "Bearer do-not-log-this-token";
  const auth = { headers: { authorization: TOKEN } };

  test("unary calls, failed calls, a stream and the standard Health service", async () => {
    logs.length = 0;
    const grpcClient = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const http = `http://${server.httpAddress}`;
    const connect = createClient(StatusService, createConnectTransport({ baseUrl: http, httpVersion: "1.1" }));
    const grpcWeb = createClient(StatusService, createGrpcWebTransport({ baseUrl: http, httpVersion: "1.1" }));
    await grpcClient.transition({ invocationId: SECRET_ID, status: S.REGISTERED }, auth);
    await connect.get({ invocationId: SECRET_ID }, auth);
    await expect(grpcWeb.transition({ invocationId: SECRET_ID, status: S.SUCCESS }, auth)).rejects.toThrow();
    // Two watches the client leaves in the middle, once caught up.
    for (const client of [grpcClient, connect]) {
      const leave = new AbortController();
      const request = { invocationIds: [SECRET_ID], startRevision: 1n };
      for await (const event of client.watchStatus(request, { ...auth, signal: leave.signal })) {
        if (event.event.case === "progress") break;
      }
      leave.abort();
    }
    const health = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      health.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    health.close();

    const method = (name: string) => `/pynenc.status.v1.StatusService/${name}`;
    await expect
      .poll(() => callLines().length, { timeout: 3_000 })
      .toBe(6)
      .catch((error) => {
        throw new Error(
          `${error}\n${callLines()
            .map((l) => JSON.stringify(l))
            .join("\n")}`,
        );
      });
    expect(callLines().map(({ port, method, code }) => ({ port, method, code }))).toEqual(
      expect.arrayContaining([
        { port: "grpc", method: method("Transition"), code: "OK" },
        { port: "http", method: method("Get"), code: "OK" },
        { port: "http", method: method("Transition"), code: "FAILED_PRECONDITION" },
        { port: "grpc", method: method("WatchStatus"), code: "CANCELLED" },
        { port: "http", method: method("WatchStatus"), code: "CANCELLED" },
        { port: "grpc", method: "/grpc.health.v1.Health/Check", code: "OK" },
      ]),
    );
    for (const line of callLines()) {
      expect(line.ms).toBeGreaterThanOrEqual(0);
      expect(line.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(logs.join("")).not.toContain(SECRET_ID);
    expect(logs.join("")).not.toContain(TOKEN);
  });

  test("at info level there are none", async () => {
    const quiet: string[] = [];
    const { server: infoServer } = await startTestServer({ logger: createLogger("info", (line) => quiet.push(line)) });
    try {
      const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${infoServer.grpcAddress}` }));
      await client.transition({ invocationId: "quiet", status: S.REGISTERED });
      await createClient(
        StatusService,
        createConnectTransport({ baseUrl: `http://${infoServer.httpAddress}`, httpVersion: "1.1" }),
      ).get({ invocationId: "quiet" });
    } finally {
      await infoServer.close();
    }
    expect(quiet.map((line) => JSON.parse(line).msg)).not.toContain("call");
  });
});
