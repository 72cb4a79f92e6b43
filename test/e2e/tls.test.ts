import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ServerReflection } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/health/v1/health_pb.js";
import { createStatusClient, ErrorInfoSchema, type StatusClientOptions } from "../../src/client/index.js";
import { createLogger } from "../../src/server/logger.js";
import { type RunningServer, serve } from "../../src/server/serve.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/test-certificates.js";

let certs: TestCertificates;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pynenc-status-tls-"));
  certs = makeTestCertificates(dir);
  server = await serve({
    listen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    store: "memory",
    logger: createLogger("error", () => {}),
    shutdownGraceMs: 500,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile },
  });
  certs.client("expired-client");
  // openssl's -days 0 makes a certificate that expires the second it is signed.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** TLS options with the CA `ca` trusted and the client certificate of `client` (if any). */
function tlsAs(ca: string, client?: string): StatusClientOptions["tls"] {
  const pair = client === undefined ? undefined : certs.client(client);
  return {
    ca: certs.read(ca),
    cert: pair && certs.read(pair.certFile),
    key: pair && certs.read(pair.keyFile),
  };
}

/**
 * A call refused by the handshake: the client library reports a broken connection (each words it
 * its own way: UNAVAILABLE, INTERNAL, ABORTED, CANCELED), never an answer of the service.
 */
function expectTransportFailure(error: ConnectError | undefined): void {
  expect(error).toBeDefined();
  expect([Code.Unavailable, Code.Internal, Code.Aborted, Code.Canceled, Code.Unknown]).toContain(error!.code);
  expect(error!.findDetails(ErrorInfoSchema)).toEqual([]);
}

const PORTS = [
  { name: "gRPC port", transport: "grpc", address: () => server.grpcAddress },
  { name: "HTTP port (Connect)", transport: "connect", address: () => server.httpAddress },
  { name: "HTTP port (gRPC-Web)", transport: "grpc-web", address: () => server.httpAddress },
] as const;

describe.each(PORTS)("mutual TLS on the $name", ({ transport, address }) => {
  const call = (tls: StatusClientOptions["tls"]) =>
    createStatusClient(address(), { transport, tls }).describeStateMachine({});

  test("the handshake succeeds with the right CA and a client certificate it signed", async () => {
    const response = await call(tlsAs(certs.caFile, "client-ok"));
    expect(response.profile).toBe("pynenc-0.2");
  });

  const refusals = [
    { name: "a client that trusts another CA", tls: () => tlsAs(certs.otherCaFile, "client-ok") },
    { name: "no client certificate", tls: () => tlsAs(certs.caFile) },
    { name: "a client certificate from another CA", tls: () => tlsAs(certs.caFile, "foreign-client") },
    { name: "an expired client certificate", tls: () => tlsAs(certs.caFile, "expired-client") },
  ];
  test.each(refusals)("the handshake fails with $name", async ({ tls }) => {
    const error = await call(tls()).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expectTransportFailure(error);
  });
});

describe("the gRPC port's standard services over the same TLS", () => {
  const transport = () =>
    createGrpcTransport({ baseUrl: `https://${server.grpcAddress}`, nodeOptions: tlsAs(certs.caFile, "client-ok") });

  test("health Check", async () => {
    const response = await createClient(Health, transport()).check({});
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  test("reflection lists the services", async () => {
    async function* request() {
      yield { messageRequest: { case: "listServices" as const, value: "*" } };
    }
    const names: string[] = [];
    for await (const response of createClient(ServerReflection, transport()).serverReflectionInfo(request())) {
      if (response.messageResponse.case === "listServicesResponse") {
        names.push(...response.messageResponse.value.service.map((s) => s.name));
      }
    }
    expect(names).toContain("pynenc.status.v1.StatusService");
  });

  test("a plaintext client gets nothing", async () => {
    const error = await createStatusClient(server.grpcAddress)
      .describeStateMachine({})
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expectTransportFailure(error);
  });
});
