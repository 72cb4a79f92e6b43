import { once } from "node:events";
import { createConnection, type Socket } from "node:net";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { connectHttp2 } from "../helpers/http2-abuse.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function serverWith(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

/** A raw TCP connection; resolves with the socket and a promise of how long until the server closed it. */
async function rawConnection(address: string): Promise<{ socket: Socket; closed: Promise<number> }> {
  const [host, port] = address.split(":") as [string, string];
  const socket = createConnection({ host, port: Number(port) });
  socket.on("error", () => {});
  await once(socket, "connect");
  const started = Date.now();
  socket.resume(); // read (and drop) whatever the server sends: only a close ends this
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - started)));
  return { socket, closed };
}

/** The client's HTTP/2 connection preface and an empty SETTINGS frame. */
const HTTP2_PREFACE = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

describe("the gRPC port's connections", () => {
  test("a peer that never answers the server's pings is closed after the keepalive timeout", async () => {
    const server = await serverWith({ grpc: { keepaliveMs: 1_000, keepaliveTimeoutMs: 1_000 } });
    const { socket, closed } = await rawConnection(server.server.grpcAddress);
    socket.write(HTTP2_PREFACE); // and then never a PING ack (nor a SETTINGS ack)
    expect(await closed).toBeLessThan(15_000);
  });

  test("a connection with no call open is closed after --max-connection-idle-seconds; one with an open watch is not", async () => {
    const server = await serverWith({ grpc: { maxConnectionIdleMs: 1_000 }, watchProgressIntervalMs: 200 });
    const idle = await connectHttp2(server.server.grpcAddress);
    const watching = createClient(
      StatusService,
      createGrpcTransport({ baseUrl: `http://${server.server.grpcAddress}` }),
    );
    const controller = new AbortController();
    const progress: bigint[] = [];
    const watch = (async () => {
      for await (const response of watching.watchStatus({}, { signal: controller.signal })) {
        if (response.event.case === "progress") progress.push(response.event.value.revision);
      }
    })().catch((e: unknown) => ConnectError.from(e));
    const idleClosed = once(idle, "close");
    const started = Date.now();
    await idleClosed;
    expect(Date.now() - started).toBeLessThan(10_000);
    // The watch's connection is busy (a call is open): after twice the idle time it still gets progress.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = progress.length;
    await expect.poll(() => progress.length, { timeout: 5_000 }).toBeGreaterThan(before);
    controller.abort();
    expect((await watch)?.code).toBe(Code.Canceled);
  });

  test("a connection past --max-connection-age-seconds ends its watch with UNAVAILABLE before the grace ends, and the watch resumes on a new connection losing nothing", async () => {
    const server = await serverWith({
      grpc: { maxConnectionAgeMs: 2_000, maxConnectionAgeGraceMs: 30_000 },
      watchProgressIntervalMs: 200,
    });
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.server.grpcAddress}` }));
    const received: number[] = [];
    const interruptions: Array<{ reason?: string; afterMs: number }> = [];
    const controller = new AbortController();
    const total = 60;
    // A call sent just as the GOAWAY arrives is refused unprocessed (REFUSED_STREAM); connect-node
    // reports it as INTERNAL, where grpc-js would retry it by itself. Either way it can be sent again.
    const refused = (e: ConnectError) => e.code === Code.Internal && /REFUSED_STREAM/.test(e.rawMessage);
    // A watcher as a client should write one: on UNAVAILABLE, resume after the last revision received.
    const watcher = (async () => {
      let from = 1n;
      let connectedAt = Date.now();
      while (received.length < total) {
        try {
          for await (const response of client.watchStatus({ startRevision: from }, { signal: controller.signal })) {
            if (response.event.case !== "change") continue;
            const revision = response.event.value.record!.revision;
            received.push(Number(revision));
            from = revision + 1n;
            if (received.length === total) return;
          }
        } catch (error) {
          const e = ConnectError.from(error);
          if (refused(e)) continue;
          if (e.code !== Code.Unavailable) throw e;
          interruptions.push({ reason: e.findDetails(ErrorInfoSchema)[0]?.reason, afterMs: Date.now() - connectedAt });
          connectedAt = Date.now();
        }
      }
    })();
    const watched = watcher.then(
      () => undefined,
      (error: unknown) => error,
    );
    // A change every 100 ms, for longer than two connection ages.
    for (let i = 0; i < total; i++) {
      for (;;) {
        const sent = await client.transition({ invocationId: `aged-${i}`, status: S.REGISTERED }).then(
          () => true,
          (error: unknown) => {
            if (!refused(ConnectError.from(error))) throw error;
            return false;
          },
        );
        if (sent) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await watched).toBeUndefined();
    controller.abort();
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(interruptions.length).toBeGreaterThan(0);
    for (const interruption of interruptions) {
      expect(interruption.reason).toBe("UNAVAILABLE");
      // Age (±10%) plus the server's once-a-second look, far inside the 30 s grace.
      expect(interruption.afterMs).toBeLessThan(10_000);
    }
  }, 60_000);
});

describe("the HTTP port's connections", () => {
  test("a Connect watch outlives --request-timeout-seconds: the timeout covers receiving the request, not the response", async () => {
    const server = await serverWith({ http: { requestTimeoutMs: 1_000 }, watchProgressIntervalMs: 200 });
    const client: Client<typeof StatusService> = createClient(
      StatusService,
      createConnectTransport({ baseUrl: `http://${server.server.httpAddress}`, httpVersion: "1.1" }),
    );
    const controller = new AbortController();
    const started = Date.now();
    let marks = 0;
    for await (const response of client.watchStatus({}, { signal: controller.signal })) {
      if (response.event.case === "progress") marks++;
      if (Date.now() - started > 3_500) break;
    }
    controller.abort();
    expect(marks).toBeGreaterThan(5);
  });

  test("a client that sends part of its headers and stalls is closed after the headers timeout", async () => {
    const server = await serverWith({ http: { headersTimeoutMs: 1_000 } });
    const { socket, closed } = await rawConnection(server.server.httpAddress);
    socket.write("POST /pynenc.status.v1.StatusService/Get HTTP/1.1\r\nHost: x\r\n");
    expect(await closed).toBeLessThan(10_000);
  });

  test("a connection that sends nothing for --http-idle-timeout-seconds is closed", async () => {
    const server = await serverWith({ http: { idleTimeoutMs: 1_000 } });
    const { closed } = await rawConnection(server.server.httpAddress);
    expect(await closed).toBeLessThan(10_000);
  });
});
