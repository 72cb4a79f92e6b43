import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type GetResponse,
  InvocationStatus as S,
  type TransitionResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import {
  createGrpcJsClient,
  errorDetails,
  type GrpcJsStatusClient,
  rawUnary,
  unary,
} from "../helpers/grpc-js-client.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";

let server: TestServer;
let client: GrpcJsStatusClient;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
  client = createGrpcJsClient(server.server.grpcAddress);
});
afterAll(async () => {
  client.close();
  await server.close();
});

async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => {
      throw new Error("the call should have failed");
    },
    (e: grpc.ServiceError) => e,
  );
}

describe("a plain grpc-js client", () => {
  test("moves an invocation and reads it back", async () => {
    await unary(client, "transition", { invocationId: "g1", status: S.REGISTERED });
    const response = (await unary(client, "transition", {
      invocationId: "g1",
      status: S.PENDING,
      runnerId: "r1",
    })) as TransitionResponse;
    expect(response.record?.runnerId).toBe("r1");
    const got = (await unary(client, "get", { invocationId: "g1" })) as GetResponse;
    expect(got.record?.status).toBe(S.PENDING);
  });

  test("reads ErrorInfo and PreconditionFailure from grpc-status-details-bin", async () => {
    await unary(client, "transition", { invocationId: "g2", status: S.REGISTERED });
    const error = await failure(unary(client, "transition", { invocationId: "g2", status: S.SUCCESS }));
    expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
    const details = errorDetails(error);
    expect(details.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(details.errorInfo).toMatchObject({ domain: "status.pynenc", reason: "INVALID_TRANSITION" });
    expect(details.preconditionFailure?.violations.length).toBe(3);
  });

  test("bad input gets INVALID_ARGUMENT with a BadRequest naming the field", async () => {
    const error = await failure(unary(client, "transition", { invocationId: "", status: S.REGISTERED }));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errorDetails(error).badRequest?.fieldViolations[0]?.field).toBe("invocation_id");
  });

  test("garbage bytes on the wire are INVALID_ARGUMENT and the server stays up", async () => {
    const path = "/pynenc.status.v1.StatusService/Transition";
    for (const garbage of [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from("\x0a\xff\xff\xff\xff\x0fhello"),
      Buffer.from([0x08]),
    ]) {
      const error = await failure(rawUnary(server.server.grpcAddress, path, garbage));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    }
    const got = (await unary(client, "get", { invocationId: "g1" })) as GetResponse;
    expect(got.record?.invocationId).toBe("g1");
  });

  test("a message over 4 MB is RESOURCE_EXHAUSTED and the server stays up", async () => {
    const error = await failure(
      unary(client, "transition", { invocationId: "x".repeat(5 * 1024 * 1024), status: S.REGISTERED }),
    );
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const got = (await unary(client, "get", { invocationId: "g1" })) as GetResponse;
    expect(got.record?.invocationId).toBe("g1");
  });

  test("an unknown method is UNIMPLEMENTED", async () => {
    const error = await failure(
      rawUnary(server.server.grpcAddress, "/pynenc.status.v1.StatusService/Nope", Buffer.alloc(0)),
    );
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("grpc.health.v1.Health", () => {
  const Health = grpc.makeGenericClientConstructor(healthService, "Health");

  test("Check says SERVING for the server and for the status service", async () => {
    const health = new Health(server.server.grpcAddress, grpc.credentials.createInsecure());
    for (const name of ["", "pynenc.status.v1.StatusService"]) {
      const response = await new Promise<{ status: string }>((resolve, reject) =>
        (
          health as unknown as Record<string, (r: unknown, cb: (e: unknown, v: { status: string }) => void) => void>
        ).check!.call(health, { service: name }, (e, v) => (e ? reject(e) : resolve(v))),
      );
      expect(response.status).toBe("SERVING");
    }
    health.close();
  });

  test("Watch streams SERVING, then NOT_SERVING while the server shuts down", async () => {
    const own = await startTestServer({ store: "memory" });
    const health = new Health(own.server.grpcAddress, grpc.credentials.createInsecure());
    const call = (
      health as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<{ status: string }>>
    ).watch!.call(health, { service: "" });
    const statuses: string[] = [];
    call.on("error", () => {});
    await new Promise<void>((resolve) => {
      call.on("data", (message: { status: string }) => {
        statuses.push(message.status);
        if (message.status === "SERVING") void own.close();
        if (message.status === "NOT_SERVING") resolve();
      });
    });
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
    call.cancel();
    health.close();
  });
});
