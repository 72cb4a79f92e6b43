import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as browser from "../../src/client/browser.js";
import {
  createStatusClient,
  ErrorInfoSchema,
  InvocationStatus as S,
  type StatusClient,
} from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/serve.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

describe("createStatusClient (pynenc-status/client)", () => {
  const cases: { name: string; client: (s: RunningServer) => StatusClient }[] = [
    { name: "Node, gRPC on the gRPC port (the default)", client: (s) => createStatusClient(s.grpcAddress) },
    {
      name: "Node, Connect on the HTTP port",
      client: (s) => createStatusClient(s.httpAddress, { transport: "connect" }),
    },
    {
      name: "Node, gRPC-Web on the HTTP port, from a URL",
      client: (s) => createStatusClient(`http://${s.httpAddress}`, { transport: "grpc-web" }),
    },
    { name: "browser entry, Connect (the default)", client: (s) => browser.createStatusClient(s.httpAddress) },
    {
      name: "browser entry, gRPC-Web",
      client: (s) => browser.createStatusClient(s.httpAddress, { transport: "grpc-web" }),
    },
  ];
  for (const [i, c] of cases.entries()) {
    test(c.name, async () => {
      const client = c.client(server.server);
      const id = `client-${i}`;
      const registered = await client.transition({ invocationId: id, status: S.REGISTERED, taskId: "t" });
      expect(registered.record).toMatchObject({ invocationId: id, status: S.REGISTERED, taskId: "t" });
      expect((await client.get({ invocationId: id })).record?.revision).toBe(registered.record?.revision);
      const error = await client.transition({ invocationId: id, status: S.SUCCESS }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.FailedPrecondition);
      expect(error?.findDetails(ErrorInfoSchema)[0]).toMatchObject({
        reason: "INVALID_TRANSITION",
        metadata: { invocationId: id },
      });
    });
  }
});
