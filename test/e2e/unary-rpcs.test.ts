import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ErrorInfoSchema, PreconditionFailureSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { InvocationStatus as S, type StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

const protocols = ["grpc", "connect", "grpcWeb"] as const;

describe.each(protocols)("unary RPCs over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  let n = 0;
  const id = (name: string) => `${protocol}-${name}-${n++}`;
  beforeAll(() => {
    client = server[protocol];
  });

  async function revision(): Promise<bigint> {
    return (await client.listAvailableForRun({ pageSize: 1 })).revision;
  }

  test("a runner registers, takes, runs and finishes an invocation; Get reads it back", async () => {
    const inv = id("life");
    const registered = await client.transition({ invocationId: inv, status: S.REGISTERED, taskId: "task-a" });
    expect(registered.record).toMatchObject({ invocationId: inv, status: S.REGISTERED, taskId: "task-a" });
    expect(registered.record?.runnerId).toBeUndefined();
    expect(registered.previousStatus).toBeUndefined();
    expect(registered.validatedOnly).toBe(false);
    const pending = await client.transition({ invocationId: inv, status: S.PENDING, runnerId: "r1" });
    expect(pending.record).toMatchObject({
      status: S.PENDING,
      runnerId: "r1",
      revision: registered.record!.revision + 1n,
    });
    expect(pending.previousStatus).toBe(S.REGISTERED);
    await client.transition({ invocationId: inv, status: S.RUNNING, runnerId: "r1" });
    const done = await client.transition({ invocationId: inv, status: S.SUCCESS, runnerId: "r1" });
    expect(done.record?.runnerId).toBeUndefined();
    const got = await client.get({ invocationId: inv });
    expect(got.record).toEqual(done.record);
    expect(got.record?.timestamp?.seconds).toBeGreaterThan(0n);
    const history = await client.getHistory({ invocationId: inv });
    expect(history.entries.map((e) => [e.record?.status, e.previousStatus, e.previousRunnerId])).toEqual([
      [S.REGISTERED, S.UNSPECIFIED, undefined],
      [S.PENDING, S.REGISTERED, undefined],
      [S.RUNNING, S.PENDING, "r1"],
      [S.SUCCESS, S.RUNNING, "r1"],
    ]);
    // Records say their namespace (the default one) and when the invocation was registered.
    expect(history.entries.every((e) => e.principal === "" && e.reason === "" && e.record?.namespace === "")).toBe(
      true,
    );
    expect(history.entries.map((e) => e.record?.registeredAt)).toEqual(
      history.entries.map(() => registered.record?.timestamp),
    );
  });

  test("an invalid transition is FAILED_PRECONDITION with the allowed targets in ErrorInfo and PreconditionFailure", async () => {
    const inv = id("invalid");
    await client.transition({ invocationId: inv, status: S.REGISTERED });
    const before = await revision();
    const error = await expectRpcError(
      client.transition({ invocationId: inv, status: S.RUNNING, runnerId: "r1" }),
      Code.FailedPrecondition,
      "INVALID_TRANSITION",
    );
    const info = error.findDetails(ErrorInfoSchema)[0]!;
    expect(info.metadata).toMatchObject({
      invocationId: inv,
      from: "INVOCATION_STATUS_REGISTERED",
      to: "INVOCATION_STATUS_RUNNING",
    });
    const allowed = [
      "INVOCATION_STATUS_PENDING",
      "INVOCATION_STATUS_CONCURRENCY_CONTROLLED",
      "INVOCATION_STATUS_CONCURRENCY_CONTROLLED_FINAL",
    ];
    expect(info.metadata.allowed!.split(",").sort()).toEqual([...allowed].sort());
    const failure = error.findDetails(PreconditionFailureSchema)[0]!;
    expect(failure.violations.map((v) => v.subject).sort()).toEqual([...allowed].sort());
    expect(await revision()).toBe(before);
    expect((await client.get({ invocationId: inv })).record?.status).toBe(S.REGISTERED);
  });

  test("a change by another runner is FAILED_PRECONDITION OWNERSHIP_VIOLATION naming both owners", async () => {
    const inv = id("owner");
    await client.transition({ invocationId: inv, status: S.REGISTERED });
    await client.transition({ invocationId: inv, status: S.PENDING, runnerId: "r1" });
    const before = await revision();
    const error = await expectRpcError(
      client.transition({ invocationId: inv, status: S.RUNNING, runnerId: "r2" }),
      Code.FailedPrecondition,
      "OWNERSHIP_VIOLATION",
    );
    expect(error.findDetails(ErrorInfoSchema)[0]!.metadata).toMatchObject({ currentOwner: "r1", attemptedOwner: "r2" });
    expect(await revision()).toBe(before);
  });

  test("a stale expected_revision is ABORTED REVISION_MISMATCH; the current one succeeds", async () => {
    const inv = id("cas");
    const registered = await client.transition({ invocationId: inv, status: S.REGISTERED });
    const rev = registered.record!.revision;
    await expectRpcError(
      client.transition({ invocationId: inv, status: S.PENDING, runnerId: "r1", expectedRevision: rev - 1n }),
      Code.Aborted,
      "REVISION_MISMATCH",
    );
    const ok = await client.transition({ invocationId: inv, status: S.PENDING, runnerId: "r1", expectedRevision: rev });
    expect(ok.record?.status).toBe(S.PENDING);
  });

  test("unknown invocations are NOT_FOUND on Get, Transition and GetHistory", async () => {
    await expectRpcError(client.get({ invocationId: id("ghost") }), Code.NotFound, "INVOCATION_NOT_FOUND");
    await expectRpcError(
      client.transition({ invocationId: id("ghost"), status: S.PENDING, runnerId: "r1" }),
      Code.NotFound,
      "INVOCATION_NOT_FOUND",
    );
    await expectRpcError(client.getHistory({ invocationId: id("ghost") }), Code.NotFound, "INVOCATION_NOT_FOUND");
  });

  const badRequests = [
    { name: "an empty invocation id", request: { invocationId: "", status: S.REGISTERED } },
    { name: "a 513-byte invocation id", request: { invocationId: `${"é".repeat(256)}x`, status: S.REGISTERED } },
    { name: "a 100 KB invocation id", request: { invocationId: "x".repeat(100_000), status: S.REGISTERED } },
    { name: "an UNSPECIFIED status", request: { invocationId: "ok", status: S.UNSPECIFIED } },
    { name: "an unknown status number 99", request: { invocationId: "ok", status: 99 as S } },
    { name: "an empty runner id", request: { invocationId: "ok", status: S.REGISTERED, runnerId: "" } },
    {
      name: "a 100 KB runner id",
      request: { invocationId: "ok", status: S.REGISTERED, runnerId: "r".repeat(100_000) },
    },
    { name: "a 1 KB task id", request: { invocationId: "ok", status: S.REGISTERED, taskId: "t".repeat(1024) } },
  ];
  for (const c of badRequests) {
    test(`Transition with ${c.name} is INVALID_ARGUMENT and changes nothing`, async () => {
      const before = await revision();
      await expectRpcError(client.transition(c.request), Code.InvalidArgument, "INVALID_ARGUMENT");
      expect(await revision()).toBe(before);
      await expectRpcError(client.get({ invocationId: "ok" }), Code.NotFound);
    });
  }

  test("Get with an empty id is INVALID_ARGUMENT", async () => {
    await expectRpcError(client.get({ invocationId: "" }), Code.InvalidArgument, "INVALID_ARGUMENT");
  });

  test("a 512-byte id is accepted", async () => {
    const inv = `${protocol}-`.padEnd(512, "z");
    const response = await client.transition({ invocationId: inv, status: S.REGISTERED });
    expect(response.record?.invocationId).toBe(inv);
  });

  test("validate_only checks and changes nothing", async () => {
    const inv = id("dry");
    await client.transition({ invocationId: inv, status: S.REGISTERED });
    const before = await revision();
    const dry = await client.transition({ invocationId: inv, status: S.PENDING, runnerId: "r1", validateOnly: true });
    expect(dry.record?.status).toBe(S.PENDING);
    expect(dry.validatedOnly).toBe(true);
    expect((await client.get({ invocationId: inv })).record?.status).toBe(S.REGISTERED);
    expect(await revision()).toBe(before);
    await expectRpcError(
      client.transition({ invocationId: inv, status: S.SUCCESS, validateOnly: true }),
      Code.FailedPrecondition,
      "INVALID_TRANSITION",
    );
  });

  test("DescribeStateMachine returns the definitions table", async () => {
    const { definitions, profile } = await client.describeStateMachine({});
    expect(profile).toBe("pynenc-0.2");
    expect(definitions).toHaveLength(14);
    const running = definitions.find((d) => d.status === S.RUNNING)!;
    expect(running.requiresOwnership).toBe(true);
    expect([...running.allowedTransitions].sort()).toEqual(
      [S.PAUSED, S.KILLED, S.RETRY, S.SUCCESS, S.FAILED, S.RUNNING_RECOVERY].sort(),
    );
    expect(
      definitions
        .filter((d) => d.isFinal)
        .map((d) => d.status)
        .sort(),
    ).toEqual([S.CONCURRENCY_CONTROLLED_FINAL, S.SUCCESS, S.FAILED].sort());
  });
});

describe("ListAvailableForRun", () => {
  const client = () => server.grpc;

  test("pages oldest first with opaque tokens that stay correct while invocations change", async () => {
    const task = "paging-task";
    const ids = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const inv of ids) await client().transition({ invocationId: inv, status: S.REGISTERED, taskId: task });
    const first = await client().listAvailableForRun({ pageSize: 3, taskId: task });
    expect(first.records.map((r) => r.invocationId)).toEqual(ids.slice(0, 3));
    expect(first.nextPageToken).not.toBe("");
    // Between pages: one on the next page is taken, one already listed is retried (it comes back last).
    await client().transition({ invocationId: "page-3", status: S.PENDING, runnerId: "r1" });
    await client().transition({ invocationId: "page-0", status: S.PENDING, runnerId: "r1" });
    await client().transition({ invocationId: "page-0", status: S.RUNNING, runnerId: "r1" });
    await client().transition({ invocationId: "page-0", status: S.RETRY, runnerId: "r1" });
    const second = await client().listAvailableForRun({ pageSize: 3, taskId: task, pageToken: first.nextPageToken });
    expect(second.records.map((r) => r.invocationId)).toEqual(["page-4", "page-5", "page-6"]);
    const third = await client().listAvailableForRun({ pageSize: 3, taskId: task, pageToken: second.nextPageToken });
    expect(third.records.map((r) => r.invocationId)).toEqual(["page-0"]);
    expect(third.nextPageToken).toBe("");
    expect(third.revision).toBeGreaterThanOrEqual(second.revision);
  });

  test("page_size 0 means 100 and sizes above 1000 are served as 1000", async () => {
    const task = "big-task";
    await Promise.all(
      Array.from({ length: 1005 }, (_, i) =>
        client().transition({ invocationId: `big-${i}`, status: S.REGISTERED, taskId: task }),
      ),
    );
    expect((await client().listAvailableForRun({ taskId: task })).records).toHaveLength(100);
    const max = await client().listAvailableForRun({ taskId: task, pageSize: 5000 });
    expect(max.records).toHaveLength(1000);
    const rest = await client().listAvailableForRun({ taskId: task, pageSize: 5000, pageToken: max.nextPageToken });
    expect(rest.records).toHaveLength(5);
  });

  const badPages = [
    { name: "a negative page size", request: { pageSize: -1 } },
    { name: "a forged page token", request: { pageToken: "eyJhZnRlciI6MH0" } },
    { name: "a tampered page token", request: { pageToken: "WzAsIiJd.AAAAAAAAAAAAAAAA" } },
    { name: "a 100 KB task id", request: { taskId: "t".repeat(100_000) } },
  ];
  for (const c of badPages) {
    test(`${c.name} is INVALID_ARGUMENT`, async () => {
      await expectRpcError(client().listAvailableForRun(c.request), Code.InvalidArgument, "INVALID_ARGUMENT");
    });
  }

  test("a token used with another task_id is INVALID_ARGUMENT", async () => {
    for (const inv of ["x1", "x2"])
      await client().transition({ invocationId: inv, status: S.REGISTERED, taskId: "tx" });
    const page = await client().listAvailableForRun({ pageSize: 1, taskId: "tx" });
    await expectRpcError(
      client().listAvailableForRun({ pageSize: 1, taskId: "other", pageToken: page.nextPageToken }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
  });
});
