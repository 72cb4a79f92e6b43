// Both state-machine profiles, through a real server: every (from, to) pair done by Transition
// agrees with the profile's table, and a status the profile lacks is refused wherever it is named.

import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { InvocationStatus as S, type StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { connectErrorFromRpcStatus } from "../../src/client/index.js";
import {
  type InvocationStatus,
  PYNENC_0_3_STATUS_CONFIG,
  STATE_MACHINE_PROFILES,
  STATUS_CONFIG,
  type StatusConfiguration,
} from "../../src/core/index.js";
import { statusFromProto, statusName, statusToProto } from "../../src/service/proto-conversions.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

/** The shortest path of allowed transitions from a new invocation to each status of a profile. */
function pathsFrom(config: StatusConfiguration): Map<InvocationStatus, InvocationStatus[]> {
  const paths = new Map<InvocationStatus, InvocationStatus[]>();
  const queue: InvocationStatus[][] = [...config.getDefinition(null).allowedTransitions].map((s) => [s]);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const last = path.at(-1)!;
    if (paths.has(last)) continue;
    paths.set(last, path);
    for (const next of config.getDefinition(last).allowedTransitions) queue.push([...path, next]);
  }
  return paths;
}

const RUNNER = "owner";

describe.each([...STATE_MACHINE_PROFILES.values()])("the $profile profile through a real server", (config) => {
  let server: TestServer;
  let client: Client<typeof StatusService>;
  beforeAll(async () => {
    server = await startTestServer({ store: "memory", config });
    client = server.grpc;
  });
  afterAll(() => server.close());

  test("DescribeStateMachine lists exactly the profile's statuses and names the profile", async () => {
    const described = await client.describeStateMachine({});
    expect(described.profile).toBe(config.profile);
    expect(described.definitions.map((d) => d.status)).toEqual(config.statuses.map(statusToProto));
    for (const definition of described.definitions) {
      const expected = config.getDefinition(statusFromProto(definition.status)!);
      expect([...definition.allowedTransitions].sort()).toEqual(
        [...expected.allowedTransitions].map(statusToProto).sort(),
      );
      expect(definition.isFinal).toBe(expected.isFinal);
    }
  });

  test("every status of the profile is reachable from a new invocation", () => {
    expect([...pathsFrom(config).keys()].sort()).toEqual([...config.statuses].sort());
  });

  // One invocation per (from, to) pair, brought to `from` along allowed transitions by the runner
  // that owns it (so ownership never decides), then moved to `to` for real.
  const pairs = config.statuses.flatMap((from) => config.statuses.map((to) => ({ from, to })));
  test(`all ${pairs.length} (from, to) pairs agree with the table, and a new invocation may only register`, async () => {
    const paths = pathsFrom(config);
    const outcomes = await Promise.all(
      pairs.map(async ({ from, to }) => {
        const invocationId = `${from}->${to}`;
        let owner: string | undefined;
        for (const status of paths.get(from)!) {
          const { record } = await client.transition({ invocationId, status: statusToProto(status), runnerId: RUNNER });
          owner = record?.runnerId;
        }
        const definition = config.getDefinition(to);
        const moved = await client.transition({ invocationId, status: statusToProto(to), runnerId: RUNNER }).then(
          (response) => response,
          (error: unknown) => ConnectError.from(error),
        );
        if (moved instanceof ConnectError) {
          const info = moved.findDetails(ErrorInfoSchema)[0];
          expect(info?.reason, `${from} -> ${to}: ${moved.message}`).toBe("INVALID_TRANSITION");
          const allowed = info!.metadata.allowed === "" ? [] : info!.metadata.allowed!.split(",");
          expect(allowed.sort(), `${from} -> ${to}`).toEqual(
            [...config.getDefinition(from).allowedTransitions].map(statusName).sort(),
          );
          return { from, to, allowed: false };
        }
        // The new owner: none on release, the runner on acquire, else unchanged.
        const expectedOwner = definition.releasesOwnership ? undefined : definition.acquiresOwnership ? RUNNER : owner;
        expect(moved.record?.runnerId, `${from} -> ${to}`).toBe(expectedOwner);
        expect(moved.previousStatus, `${from} -> ${to}`).toBe(statusToProto(from));
        return { from, to, allowed: true };
      }),
    );
    const table = pairs.map(({ from, to }) => ({
      from,
      to,
      allowed: config.getDefinition(from).allowedTransitions.has(to),
    }));
    expect(outcomes).toEqual(table);
    for (const to of config.statuses) {
      const invocationId = `new->${to}`;
      const call = client.transition({ invocationId, status: statusToProto(to), runnerId: RUNNER });
      if (config.registrationStatuses.has(to)) expect((await call).record?.status).toBe(statusToProto(to));
      else await expectRpcError(call, Code.NotFound, "INVOCATION_NOT_FOUND");
    }
  });
});

describe("pynenc-0.3: RESUMED is no status", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: "memory", config: PYNENC_0_3_STATUS_CONFIG });
    await server.grpc.transition({ invocationId: "paused", status: S.REGISTERED });
    for (const status of [S.PENDING, S.RUNNING, S.PAUSED]) {
      await server.grpc.transition({ invocationId: "paused", status, runnerId: "r" });
    }
  });
  afterAll(() => server.close());

  const firstOf = (stream: AsyncIterable<unknown>) =>
    (async () => {
      for await (const _ of stream) return;
    })();
  const cases: Array<{ name: string; field: string; call: (c: Client<typeof StatusService>) => Promise<unknown> }> = [
    {
      name: "Transition's status",
      field: "status",
      call: (c) => c.transition({ invocationId: "paused", status: S.RESUMED, runnerId: "r" }),
    },
    {
      name: "a BatchTransition item's status",
      field: "status",
      call: async (c) => {
        const { results } = await c.batchTransition({
          requests: [{ invocationId: "paused", status: S.RESUMED, runnerId: "r" }],
        });
        const result = results[0]!.result;
        if (result.case !== "error") throw new Error("the item should have failed");
        throw connectErrorFromRpcStatus(result.value);
      },
    },
    {
      name: "ListInvocations' statuses",
      field: "statuses[1]",
      call: (c) => c.listInvocations({ statuses: [S.PAUSED, S.RESUMED] }),
    },
    {
      name: "WatchStatus' statuses",
      field: "statuses[0]",
      call: (c) => firstOf(c.watchStatus({ statuses: [S.RESUMED] })),
    },
  ];
  for (const protocol of ["grpc", "connect", "grpcWeb"] as const) {
    for (const c of cases) {
      test(`RESUMED in ${c.name} is INVALID_ARGUMENT naming the field and the profile (${protocol})`, async () => {
        const before = server.server.store.currentRevision();
        const error = await expectRpcError(c.call(server[protocol]), Code.InvalidArgument, "INVALID_ARGUMENT");
        expect(error.rawMessage).toContain("pynenc-0.3");
        expect(error.rawMessage).toContain(c.field);
        expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({
          field: c.field,
          profile: "pynenc-0.3",
        });
        expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe(c.field);
        expect(server.server.store.currentRevision()).toBe(before);
      });
    }
  }

  test("a paused invocation goes back to RUNNING, and a refusal never lists RESUMED", async () => {
    const error = await expectRpcError(
      server.grpc.transition({ invocationId: "paused", status: S.SUCCESS, runnerId: "r" }),
      Code.FailedPrecondition,
      "INVALID_TRANSITION",
    );
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata.allowed?.split(",").sort()).toEqual(
      ["INVOCATION_STATUS_KILLED", "INVOCATION_STATUS_RUNNING"].sort(),
    );
    const resumed = await server.grpc.transition({ invocationId: "paused", status: S.RUNNING, runnerId: "r" });
    expect(resumed.record?.status).toBe(S.RUNNING);
  });

  test("under pynenc-0.2 the same requests are accepted", async () => {
    const own = await startTestServer({ store: "memory", config: STATUS_CONFIG });
    try {
      await own.grpc.transition({ invocationId: "p", status: S.REGISTERED });
      for (const status of [S.PENDING, S.RUNNING, S.PAUSED, S.RESUMED]) {
        await own.grpc.transition({ invocationId: "p", status, runnerId: "r" });
      }
      expect((await own.grpc.listInvocations({ statuses: [S.RESUMED] })).records).toHaveLength(1);
    } finally {
      await own.close();
    }
  });
});
