import { create } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import { type Status, StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import {
  type BatchTransitionResult,
  InvocationStatus as S,
  type StatusService,
  type TransitionRequest,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { connectErrorFromRpcStatus } from "../../src/client/index.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

type Item = Partial<Omit<TransitionRequest, "$typeName">>;

/** The google.rpc.Status of a failed batch item (throws if the item succeeded). */
function itemStatus(result: BatchTransitionResult | undefined): Status {
  if (result?.result.case !== "error") throw new Error(`the item should have failed: ${result?.result.case}`);
  return result.result.value;
}

/** The error of a batch result, as the ConnectError a client reads (throws if the item succeeded). */
function itemError(result: BatchTransitionResult | undefined): ConnectError {
  return connectErrorFromRpcStatus(itemStatus(result));
}

/** The response of a batch result (throws if the item failed). */
function itemRecord(result: BatchTransitionResult | undefined) {
  if (result?.result.case !== "response") throw new Error(`the item should have succeeded: ${result?.result.case}`);
  return result.result.value;
}

describe.each(["grpc", "connect", "grpcWeb"] as const)("batch RPCs over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  let n = 0;
  const id = (name: string) => `batch-${protocol}-${name}-${n++}`;
  beforeAll(() => {
    client = server[protocol];
  });

  test("BatchTransition applies items in order, each seeing the ones before it, each failing on its own", async () => {
    const inv = id("order");
    const items: Item[] = [
      { invocationId: inv, status: S.REGISTERED, taskId: "batch.task" },
      { invocationId: inv, status: S.PENDING, runnerId: "r1" },
      { invocationId: inv, status: S.RUNNING, runnerId: "r2" }, // another runner: ownership violation
      { invocationId: inv, status: S.RUNNING, runnerId: "r1" },
      { invocationId: inv, status: S.REGISTERED }, // not allowed from RUNNING
      { invocationId: "", status: S.REGISTERED }, // invalid: an item error, not a call error
      { invocationId: id("ghost"), status: S.PENDING, runnerId: "r1" },
    ];
    const before = server.server.store.currentRevision();
    const { results } = await client.batchTransition({ requests: items });
    expect(results.map((r) => r.result.case)).toEqual([
      "response",
      "response",
      "error",
      "response",
      "error",
      "error",
      "error",
    ]);
    expect(itemRecord(results[0])?.record).toMatchObject({ status: S.REGISTERED, taskId: "batch.task" });
    expect(itemRecord(results[1])?.previousStatus).toBe(S.REGISTERED);
    expect(itemRecord(results[3])?.record).toMatchObject({ status: S.RUNNING, runnerId: "r1" });
    const reasons = [2, 4, 5, 6].map((i) => {
      const error = itemError(results[i]);
      return [Code[error.code], error.findDetails(ErrorInfoSchema)[0]?.reason];
    });
    expect(reasons).toEqual([
      ["FailedPrecondition", "OWNERSHIP_VIOLATION"],
      ["FailedPrecondition", "INVALID_TRANSITION"],
      ["InvalidArgument", "INVALID_ARGUMENT"],
      ["NotFound", "INVOCATION_NOT_FOUND"],
    ]);
    expect(itemError(results[5]).findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("invocation_id");
    expect(server.server.store.currentRevision()).toBe(before + 3);
    expect((await client.get({ invocationId: inv })).record?.status).toBe(S.RUNNING);
  });

  test("a failed item's google.rpc.Status is the very error the same Transition alone fails with", async () => {
    const inv = id("same");
    await client.transition({ invocationId: inv, status: S.REGISTERED });
    const request: Item = { invocationId: inv, status: S.SUCCESS, runnerId: "r1" };
    const { results } = await client.batchTransition({ requests: [request] });
    const fromBatch = itemError(results[0]);
    const alone = await expectRpcError(client.transition(request), Code.FailedPrecondition, "INVALID_TRANSITION");
    expect(fromBatch.code).toBe(alone.code);
    expect(fromBatch.rawMessage).toBe(alone.rawMessage);
    expect(fromBatch.findDetails(ErrorInfoSchema)).toEqual(alone.findDetails(ErrorInfoSchema));
    expect(fromBatch.findDetails(PreconditionFailureSchema)).toEqual(alone.findDetails(PreconditionFailureSchema));
    // Decoded by hand too, as any client of google.rpc.Status would: each detail an Any.
    const status = itemStatus(results[0]);
    expect(status.code).toBe(Code.FailedPrecondition);
    const info = status.details.map((detail) => anyUnpack(detail, ErrorInfoSchema)).find((d) => d !== undefined);
    expect(info).toMatchObject({ domain: "status.pynenc", reason: "INVALID_TRANSITION" });
  });

  test("validate_only items change nothing and say validated_only; request ids keep a retried batch at one change", async () => {
    const inv = id("retry");
    await client.transition({ invocationId: inv, status: S.REGISTERED });
    const dry = await client.batchTransition({
      requests: [{ invocationId: inv, status: S.PENDING, runnerId: "r1", validateOnly: true }],
    });
    expect(itemRecord(dry.results[0])).toMatchObject({ validatedOnly: true, record: { status: S.PENDING } });
    expect((await client.get({ invocationId: inv })).record?.status).toBe(S.REGISTERED);
    const requests: Item[] = [
      { invocationId: inv, status: S.PENDING, runnerId: "r1", requestId: `${inv}-k1` },
      { invocationId: inv, status: S.RUNNING, runnerId: "r1", requestId: `${inv}-k2` },
    ];
    const first = await client.batchTransition({ requests });
    const revision = server.server.store.currentRevision();
    const retried = await client.batchTransition({ requests });
    expect(retried).toEqual(first);
    expect(itemRecord(first.results[1])?.validatedOnly).toBe(false);
    expect(server.server.store.currentRevision()).toBe(revision);
    expect((await client.getHistory({ invocationId: inv })).entries).toHaveLength(3);
  });

  test("BatchGet answers in the order asked for and leaves unknown ids out", async () => {
    const [a, b, c] = [id("get"), id("get"), id("get")];
    await client.batchTransition({
      requests: [a, b, c].map((invocationId) => ({ invocationId, status: S.REGISTERED, taskId: "batch.get" })),
    });
    const got = await client.batchGet({ invocationIds: [c, id("missing"), a, b] });
    expect(got.records.map((r) => r.invocationId)).toEqual([c, a, b]);
    expect(got.revision).toBe(BigInt(server.server.store.currentRevision()));
    expect((await client.batchGet({ invocationIds: [] })).records).toEqual([]);
  });
});

describe("batch limits and the store call", () => {
  test("1,000 items register in one store.batchTransition call; 1,001 is INVALID_ARGUMENT and changes nothing", async () => {
    const client = server.grpc;
    const { store } = server.server;
    const batch = vi.spyOn(store, "batchTransition");
    const single = vi.spyOn(store, "transition");
    try {
      const requests = Array.from({ length: 1000 }, (_, i) => ({
        invocationId: `thousand-${i}`,
        status: S.REGISTERED,
      }));
      const { results } = await client.batchTransition({ requests });
      expect(results.filter((r) => r.result.case === "response")).toHaveLength(1000);
      expect(batch).toHaveBeenCalledTimes(1);
      expect(single).not.toHaveBeenCalled();
      const before = store.currentRevision();
      const tooMany = [...requests, { invocationId: "one-too-many", status: S.REGISTERED }];
      const error = await expectRpcError(
        client.batchTransition({ requests: tooMany }),
        Code.InvalidArgument,
        "INVALID_ARGUMENT",
      );
      expect(error.findDetails(ErrorInfoSchema)[0]?.metadata.field).toBe("requests");
      expect(store.currentRevision()).toBe(before);
      const ids = requests.map((r) => r.invocationId);
      expect((await client.batchGet({ invocationIds: ids })).records).toHaveLength(1000);
      await expectRpcError(client.batchGet({ invocationIds: [...ids, "x"] }), Code.InvalidArgument, "INVALID_ARGUMENT");
    } finally {
      batch.mockRestore();
      single.mockRestore();
    }
  });

  test("a batch whose items are all invalid never reaches the store", async () => {
    const batch = vi.spyOn(server.server.store, "batchTransition");
    try {
      const { results } = await server.grpc.batchTransition({
        requests: [{ invocationId: "x", status: S.UNSPECIFIED }],
      });
      expect(Code[itemError(results[0]).code]).toBe("InvalidArgument");
      expect(batch).not.toHaveBeenCalled();
    } finally {
      batch.mockRestore();
    }
  });

  test("an item error is a ConnectError instance for TypeScript clients", () => {
    const error = connectErrorFromRpcStatus(create(StatusSchema, { code: Code.NotFound, message: "gone" }));
    expect(error).toBeInstanceOf(ConnectError);
    expect([error.code, error.rawMessage]).toEqual([Code.NotFound, "gone"]);
  });
});
