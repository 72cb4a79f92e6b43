// Bad input to every RPC that takes something new (namespaces, batches, filters, durations):
// INVALID_ARGUMENT naming the field, over every protocol, and nothing changed.

import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import {
  type InvocationOrder,
  RecoveryRule,
  InvocationStatus as S,
  type StatusService,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory", allowPurge: true });
  await server.grpc.transition({ namespace: "bad", invocationId: "known", status: S.REGISTERED, taskId: "t" });
  await server.grpc.transition({ namespace: "bad", invocationId: "known-2", status: S.REGISTERED, taskId: "t" });
  await server.grpc.heartbeat({ namespace: "bad", runnerId: "r" });
});
afterAll(() => server.close());

type StatusClient = Client<typeof StatusService>;

const LONG = "x".repeat(513);
const firstOf = (stream: AsyncIterable<unknown>) =>
  (async () => {
    for await (const _ of stream) return;
  })();
const tokenOf = async (client: StatusClient) =>
  (await client.listInvocations({ namespace: "bad", pageSize: 1 })).nextPageToken;

const cases: Array<{ name: string; field: string; call: (client: StatusClient) => Promise<unknown> }> = [
  {
    name: "Transition with a 513-byte namespace",
    field: "namespace",
    call: (c) => c.transition({ namespace: LONG, invocationId: "i", status: S.REGISTERED }),
  },
  {
    name: "Get with a 513-byte namespace",
    field: "namespace",
    call: (c) => c.get({ namespace: LONG, invocationId: "i" }),
  },
  {
    name: "WatchStatus with a 513-byte namespace",
    field: "namespace",
    call: (c) => firstOf(c.watchStatus({ namespace: LONG })),
  },
  {
    name: "BatchGet with 1,001 ids",
    field: "invocation_ids",
    call: (c) => c.batchGet({ invocationIds: Array.from({ length: 1001 }, (_, i) => `i${i}`) }),
  },
  {
    name: "BatchGet with an empty id",
    field: "invocation_ids[1]",
    call: (c) => c.batchGet({ invocationIds: ["a", ""] }),
  },
  {
    name: "BatchTransition with 1,001 requests",
    field: "requests",
    call: (c) =>
      c.batchTransition({
        requests: Array.from({ length: 1001 }, (_, i) => ({
          namespace: "bad",
          invocationId: `b${i}`,
          status: S.REGISTERED,
        })),
      }),
  },
  {
    name: "ListInvocations with a negative page size",
    field: "page_size",
    call: (c) => c.listInvocations({ pageSize: -1 }),
  },
  { name: "ListInvocations with a negative offset", field: "offset", call: (c) => c.listInvocations({ offset: -1 }) },
  {
    name: "ListInvocations with an offset and a page token",
    field: "offset",
    call: async (c) => c.listInvocations({ namespace: "bad", offset: 1, pageToken: await tokenOf(c) }),
  },
  {
    name: "ListInvocations with a forged page token",
    field: "page_token",
    call: (c) => c.listInvocations({ namespace: "bad", pageToken: "WzEsIngiXQ.AAAAAAAAAAAAAAAAAAAAAA" }),
  },
  {
    name: "ListInvocations with a token of other filters",
    field: "page_token",
    call: async (c) => c.listInvocations({ namespace: "bad", taskId: "t", pageToken: await tokenOf(c) }),
  },
  {
    name: "ListInvocations with an unknown order",
    field: "order",
    call: (c) => c.listInvocations({ order: 99 as InvocationOrder }),
  },
  {
    name: "ListInvocations with an UNSPECIFIED status",
    field: "statuses[0]",
    call: (c) => c.listInvocations({ statuses: [S.UNSPECIFIED] }),
  },
  {
    name: "ListInvocations with an empty runner id",
    field: "runner_id",
    call: (c) => c.listInvocations({ runnerId: "" }),
  },
  {
    name: "ListInvocations with a 513-byte prefix",
    field: "invocation_id_prefix",
    call: (c) => c.listInvocations({ invocationIdPrefix: LONG }),
  },
  {
    name: "CountInvocations with a 513-byte task id",
    field: "task_id",
    call: (c) => c.countInvocations({ taskId: LONG }),
  },
  {
    name: "ListRunners with a negative dead_after",
    field: "dead_after",
    call: (c) => c.listRunners({ deadAfter: { seconds: -1n } }),
  },
  {
    name: "ListRecoveryCandidates without a rule",
    field: "rule",
    call: (c) => c.listRecoveryCandidates({ threshold: { seconds: 1n } }),
  },
  {
    name: "ListRecoveryCandidates with an unknown rule",
    field: "rule",
    call: (c) => c.listRecoveryCandidates({ rule: 7 as RecoveryRule, threshold: { seconds: 1n } }),
  },
  {
    name: "ListRecoveryCandidates without a threshold",
    field: "threshold",
    call: (c) => c.listRecoveryCandidates({ rule: RecoveryRule.PENDING_TIMEOUT }),
  },
  {
    name: "ListRecoveryCandidates with a negative threshold",
    field: "threshold",
    call: (c) => c.listRecoveryCandidates({ rule: RecoveryRule.DEAD_RUNNER, threshold: { nanos: -1 } }),
  },
  {
    name: "ListRecoveryCandidates with a negative page size",
    field: "page_size",
    call: (c) => c.listRecoveryCandidates({ rule: RecoveryRule.DEAD_RUNNER, threshold: { seconds: 1n }, pageSize: -1 }),
  },
  {
    name: "PurgeNamespace with a 513-byte namespace",
    field: "namespace",
    call: (c) => c.purgeNamespace({ namespace: LONG }),
  },
  { name: "Heartbeat with no runner at all", field: "runner_id", call: (c) => c.heartbeat({ namespace: "bad" }) },
  {
    name: "Heartbeat with an empty id among runner_ids",
    field: "runner_ids[1]",
    call: (c) => c.heartbeat({ namespace: "bad", runnerIds: ["r", ""] }),
  },
  {
    name: "Heartbeat with 1,001 runner_ids",
    field: "runner_ids",
    call: (c) => c.heartbeat({ namespace: "bad", runnerIds: Array.from({ length: 1001 }, (_, i) => `r${i}`) }),
  },
  {
    name: "Heartbeat with an empty queue name",
    field: "consumed_queues.queues[0]",
    call: (c) => c.heartbeat({ namespace: "bad", runnerId: "r", consumedQueues: { queues: [""] } }),
  },
  {
    name: "WatchCounts with a negative interval",
    field: "interval",
    call: (c) => firstOf(c.watchCounts({ interval: { seconds: -1n } })),
  },
];

describe.each(["grpc", "connect", "grpcWeb"] as const)("bad requests over %s", (protocol) => {
  for (const c of cases) {
    test(`${c.name} is INVALID_ARGUMENT naming ${c.field}, and changes nothing`, async () => {
      const client = server[protocol];
      const { store } = server.server;
      const before = store.currentRevision();
      const runners = (await store.listRunners("bad")).runners;
      const error = await expectRpcError(c.call(client), Code.InvalidArgument, "INVALID_ARGUMENT");
      expect(error.findDetails(ErrorInfoSchema)[0]?.metadata.field).toBe(c.field);
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([c.field]);
      expect(store.currentRevision()).toBe(before);
      expect((await store.listRunners("bad")).runners).toEqual(runners);
      expect((await client.countInvocations({ namespace: "bad" })).total).toBe(2n);
    });
  }
});
