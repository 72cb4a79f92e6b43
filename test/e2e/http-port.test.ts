import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory", corsAllowOrigins: ["http://example.test"] });
});
afterAll(() => server.close());

async function curl(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const { stdout } = await promisify(execFile)("curl", [
    "-s",
    "-w",
    "\n%{http_code}",
    "-H",
    "Content-Type: application/json",
    "-d",
    JSON.stringify(body),
    `http://${server.server.httpAddress}/pynenc.status.v1.StatusService/${path}`,
  ]);
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, json: JSON.parse(lines.join("\n")) as Record<string, unknown> };
}

describe("the HTTP port (Connect and gRPC-Web)", () => {
  test("curl drives Transition and Get with Connect JSON, on the same store as the gRPC port", async () => {
    const registered = await curl("Transition", {
      invocationId: "web-1",
      status: "INVOCATION_STATUS_REGISTERED",
      taskId: "t",
    });
    expect(registered.status).toBe(200);
    expect(registered.json).toMatchObject({
      record: { invocationId: "web-1", status: "INVOCATION_STATUS_REGISTERED", revision: "1" },
    });
    // The gRPC port sees it and moves it on; curl reads the result back.
    await server.grpc.transition({ invocationId: "web-1", status: S.PENDING, runnerId: "r1" });
    const got = await curl("Get", { invocationId: "web-1" });
    expect(got.json).toMatchObject({ record: { status: "INVOCATION_STATUS_PENDING", runnerId: "r1", revision: "2" } });
  });

  test("curl gets Connect's JSON error with the ErrorInfo detail", async () => {
    const error = await curl("Transition", {
      invocationId: "web-1",
      status: "INVOCATION_STATUS_SUCCESS",
      runnerId: "r1",
    });
    expect(error.status).toBe(400);
    expect(error.json.code).toBe("failed_precondition");
    const details = error.json.details as Array<{ type: string; debug: { reason?: string } }>;
    expect(details.find((d) => d.type === "google.rpc.ErrorInfo")?.debug.reason).toBe("INVALID_TRANSITION");
    const missing = await curl("Get", { invocationId: "nope" });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe("not_found");
  });

  test("a browser's gRPC-Web transport (connect-web) watches changes made on the gRPC port", async () => {
    const web = createClient(StatusService, createGrpcWebTransport({ baseUrl: `http://${server.server.httpAddress}` }));
    const controller = new AbortController();
    const seen: Array<[string, S]> = [];
    const watching = (async () => {
      for await (const response of web.watchStatus({ invocationIds: ["web-2"] }, { signal: controller.signal })) {
        if (response.event.case === "progress" && seen.length === 0) {
          await server.grpc.transition({ invocationId: "web-2", status: S.REGISTERED });
          await server.grpc.transition({ invocationId: "web-2", status: S.PENDING, runnerId: "r2" });
        }
        if (response.event.case === "change")
          seen.push([response.event.value.record!.invocationId, response.event.value.record!.status]);
        if (seen.length === 2) break;
      }
    })();
    await watching;
    controller.abort();
    expect(seen).toEqual([
      ["web-2", S.REGISTERED],
      ["web-2", S.PENDING],
    ]);
    const got = await web.get({ invocationId: "web-2" });
    expect(got.record?.runnerId).toBe("r2");
  });

  const preflight = (origin: string) =>
    promisify(execFile)("curl", [
      "-s",
      "-i",
      "-X",
      "OPTIONS",
      "-H",
      `Origin: ${origin}`,
      "-H",
      "Access-Control-Request-Method: POST",
      `http://${server.server.httpAddress}/pynenc.status.v1.StatusService/Get`,
    ]);

  test("CORS preflight from an allowed origin (--cors-allow-origin) is granted", async () => {
    const { stdout } = await preflight("http://example.test");
    expect(stdout).toMatch(/^HTTP\/1\.1 204/);
    expect(stdout.toLowerCase()).toContain("access-control-allow-origin: http://example.test");
  });

  test("CORS preflight from any other origin gets no grant", async () => {
    const { stdout } = await preflight("http://evil.test");
    expect(stdout).toMatch(/^HTTP\/1\.1 204/);
    expect(stdout.toLowerCase()).not.toContain("access-control-allow-origin");
  });
});
