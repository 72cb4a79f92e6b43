import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { createLogger } from "../../src/server/logger.js";
import { type RunningServer, type ServeOptions, serve } from "../../src/server/serve.js";

/** A server on real loopback sockets in this process, with a Connect client per protocol. */
export interface TestServer {
  readonly server: RunningServer;
  /** Connect's gRPC client on the grpc-js port. */
  readonly grpc: Client<typeof StatusService>;
  /** Connect protocol on the HTTP port. */
  readonly connect: Client<typeof StatusService>;
  /** gRPC-Web on the HTTP port. */
  readonly grpcWeb: Client<typeof StatusService>;
  close(): Promise<void>;
}

/** Serve `store` (memory unless given) on port 0 for both ports; its log is dropped unless `logger` is given. */
export async function startTestServer(options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const server = await serve({
    listen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    store: "memory",
    logger: createLogger("warn", (line) => logs.push(line)),
    shutdownGraceMs: 1_000,
    // Tests that are not about recovery must not see it move their invocations on.
    recovery: { maxPendingMs: 3_600_000, runnerDeadAfterMs: 3_600_000 },
    ...options,
  });
  const http = `http://${server.httpAddress}`;
  return {
    server,
    grpc: createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` })),
    connect: createClient(StatusService, createConnectTransport({ baseUrl: http, httpVersion: "1.1" })),
    grpcWeb: createClient(StatusService, createGrpcWebTransport({ baseUrl: http, httpVersion: "1.1" })),
    close: () => server.close(),
  };
}
