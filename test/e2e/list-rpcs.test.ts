import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type ListInvocationsRequestSchema,
  InvocationOrder as O,
  RecoveryRule,
  InvocationStatus as S,
  type StatusService,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { STATUS_CONFIG } from "../../src/core/index.js";
import { statusToProto } from "../../src/service/proto-conversions.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
});
afterAll(() => server.close());

type ListRequest = MessageInitShape<typeof ListInvocationsRequestSchema>;

/** Every page of a ListInvocations, `pageSize` at a time: the ids in the order served. */
async function allPages(client: Client<typeof StatusService>, request: ListRequest, pageSize: number) {
  const ids: string[] = [];
  let pageToken = "";
  do {
    const page = await client.listInvocations({ ...request, pageSize, pageToken });
    expect(page.records.length).toBeLessThanOrEqual(pageSize);
    ids.push(...page.records.map((r) => r.invocationId));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return ids;
}

describe.each(["grpc", "connect", "grpcWeb"] as const)("list RPCs over %s", (protocol) => {
  let client: Client<typeof StatusService>;
  const namespace = `lists-${protocol}`;
  beforeAll(async () => {
    client = server[protocol];
    // Registered a, b, c, d (task t1, t1, t2, t2); then b taken by r1, then a by r2.
    for (const [invocationId, taskId] of [
      ["a", "t1"],
      ["b", "t1"],
      ["c", "t2"],
      ["d", "t2"],
    ]) {
      await client.transition({ namespace, invocationId, status: S.REGISTERED, taskId });
    }
    await client.transition({ namespace, invocationId: "b", status: S.PENDING, runnerId: "r1" });
    await client.transition({ namespace, invocationId: "a", status: S.PENDING, runnerId: "r2" });
  });

  const orders = [
    { name: "unspecified (by revision)", order: O.UNSPECIFIED, ids: ["c", "d", "b", "a"] },
    { name: "by revision", order: O.REVISION, ids: ["c", "d", "b", "a"] },
    { name: "by revision, newest first", order: O.REVISION_DESC, ids: ["a", "b", "d", "c"] },
    { name: "newest registration first", order: O.NEWEST_REGISTRATION, ids: ["d", "c", "b", "a"] },
    { name: "oldest registration first", order: O.OLDEST_REGISTRATION, ids: ["a", "b", "c", "d"] },
  ];
  for (const c of orders) {
    test(`ListInvocations ${c.name}, in one page and one record per page`, async () => {
      const page = await client.listInvocations({ namespace, order: c.order });
      expect(page.records.map((r) => r.invocationId)).toEqual(c.ids);
      expect(page.nextPageToken).toBe("");
      expect(page.revision).toBe(BigInt(server.server.store.currentRevision()));
      expect(await allPages(client, { namespace, order: c.order }, 1)).toEqual(c.ids);
    });
  }

  const filters: Array<{ name: string; request: ListRequest; ids: string[] }> = [
    { name: "statuses", request: { statuses: [S.PENDING] }, ids: ["b", "a"] },
    { name: "several statuses", request: { statuses: [S.REGISTERED, S.PENDING] }, ids: ["c", "d", "b", "a"] },
    { name: "task_id", request: { taskId: "t2" }, ids: ["c", "d"] },
    { name: "runner_id (the owner)", request: { runnerId: "r1" }, ids: ["b"] },
    { name: "invocation_id_prefix", request: { invocationIdPrefix: "a" }, ids: ["a"] },
    { name: "task and status", request: { taskId: "t1", statuses: [S.PENDING] }, ids: ["b", "a"] },
    { name: "a status no one is in", request: { statuses: [S.SUCCESS] }, ids: [] },
  ];
  for (const c of filters) {
    test(`ListInvocations filters by ${c.name}`, async () => {
      expect(await allPages(client, { namespace, ...c.request }, 1)).toEqual(c.ids);
    });
  }

  test("offset skips records of a first page, and the next page goes on after the page", async () => {
    const page = await client.listInvocations({ namespace, order: O.OLDEST_REGISTRATION, offset: 1, pageSize: 2 });
    expect(page.records.map((r) => r.invocationId)).toEqual(["b", "c"]);
    const next = await client.listInvocations({
      namespace,
      order: O.OLDEST_REGISTRATION,
      pageSize: 2,
      pageToken: page.nextPageToken,
    });
    expect(next.records.map((r) => r.invocationId)).toEqual(["d"]);
    await expectRpcError(
      client.listInvocations({ namespace, order: O.OLDEST_REGISTRATION, offset: 1, pageToken: page.nextPageToken }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
  });

  const rebound: Array<{ name: string; change: ListRequest }> = [
    { name: "another namespace", change: { namespace: `${namespace}-other` } },
    { name: "other statuses", change: { statuses: [S.PENDING] } },
    { name: "another task", change: { taskId: "t1" } },
    { name: "a runner", change: { runnerId: "r1" } },
    { name: "a prefix", change: { invocationIdPrefix: "a" } },
    { name: "another order", change: { order: O.REVISION_DESC } },
  ];
  for (const c of rebound) {
    test(`a page token used with ${c.name} is INVALID_ARGUMENT`, async () => {
      const first = await client.listInvocations({ namespace, pageSize: 1 });
      expect(first.nextPageToken).not.toBe("");
      await expectRpcError(
        client.listInvocations({ namespace, pageSize: 1, pageToken: first.nextPageToken, ...c.change }),
        Code.InvalidArgument,
        "INVALID_ARGUMENT",
      );
    });
  }

  test("a ListAvailableForRun token is not a ListInvocations one, nor the other way round", async () => {
    const available = await client.listAvailableForRun({ namespace, pageSize: 1 });
    const listed = await client.listInvocations({ namespace, pageSize: 1 });
    await expectRpcError(
      client.listInvocations({ namespace, pageToken: available.nextPageToken }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
    await expectRpcError(
      client.listAvailableForRun({ namespace, pageToken: listed.nextPageToken }),
      Code.InvalidArgument,
      "INVALID_ARGUMENT",
    );
  });

  test("CountInvocations: every status of the profile, zeros included, the total and the revision", async () => {
    const counts = await client.countInvocations({ namespace });
    expect(counts.counts.map((c) => c.status)).toEqual(STATUS_CONFIG.statuses.map(statusToProto));
    const nonZero = counts.counts.filter((c) => c.count > 0n).map((c) => [c.status, c.count]);
    expect(nonZero).toEqual([
      [S.REGISTERED, 2n],
      [S.PENDING, 2n],
    ]);
    expect(counts.total).toBe(4n);
    expect(counts.revision).toBe(BigInt(server.server.store.currentRevision()));
    const t2 = await client.countInvocations({ namespace, taskId: "t2" });
    expect(t2.total).toBe(2n);
    expect(t2.counts.find((c) => c.status === S.REGISTERED)?.count).toBe(2n);
    const none = await client.countInvocations({ namespace: `${namespace}-empty` });
    expect([none.total, none.counts.length]).toEqual([0n, STATUS_CONFIG.statuses.length]);
  });

  test("ListRecoveryCandidates: pynenc's rules on the server's clock, oldest first, changing nothing", async () => {
    const ns = `${namespace}-recovery`;
    for (const id of ["p1", "p2", "run-silent", "run-alive"]) {
      await client.transition({ namespace: ns, invocationId: id, status: S.REGISTERED });
      await client.transition({ namespace: ns, invocationId: id, status: S.PENDING, runnerId: `${id}-runner` });
    }
    for (const id of ["run-silent", "run-alive"]) {
      await client.transition({ namespace: ns, invocationId: id, status: S.RUNNING, runnerId: `${id}-runner` });
    }
    await client.heartbeat({ namespace: ns, runnerId: "run-alive-runner" });
    const before = server.server.store.currentRevision();
    const pending = (threshold: bigint) =>
      client.listRecoveryCandidates({
        namespace: ns,
        rule: RecoveryRule.PENDING_TIMEOUT,
        threshold: { seconds: threshold },
      });
    const zero = await pending(0n);
    expect(zero.records.map((r) => r.invocationId)).toEqual(["p1", "p2"]);
    expect(zero.revision).toBe(BigInt(before));
    expect(zero.serverTime?.seconds).toBeGreaterThan(0n);
    expect((await pending(3600n)).records).toEqual([]);
    const limited = await client.listRecoveryCandidates({
      namespace: ns,
      rule: RecoveryRule.PENDING_TIMEOUT,
      threshold: {},
      pageSize: 1,
    });
    expect(limited.records.map((r) => r.invocationId)).toEqual(["p1"]);
    const dead = (threshold: { seconds?: bigint; nanos?: number }) =>
      client.listRecoveryCandidates({ namespace: ns, rule: RecoveryRule.DEAD_RUNNER, threshold });
    // A runner that never sent a heartbeat (in this namespace) is dead whatever the threshold.
    expect((await dead({ seconds: 3600n })).records.map((r) => r.invocationId)).toEqual(["run-silent"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await dead({ nanos: 5_000_000 })).records.map((r) => r.invocationId)).toEqual(["run-silent", "run-alive"]);
    expect(server.server.store.currentRevision()).toBe(before);
    // Heartbeats count in their own namespace only.
    await client.heartbeat({ namespace: `${ns}-elsewhere`, runnerId: "run-silent-runner" });
    expect((await dead({ seconds: 3600n })).records.map((r) => r.invocationId)).toEqual(["run-silent"]);
  });
});

describe("ListInvocations page sizes", () => {
  test("page_size 0 means 100 and sizes above 1000 are served as 1000", async () => {
    const client = server.grpc;
    const namespace = "lists-big";
    const requests = Array.from({ length: 1005 }, (_, i) => ({
      namespace,
      invocationId: `big-${i}`,
      status: S.REGISTERED,
    }));
    await client.batchTransition({ requests: requests.slice(0, 1000) });
    await client.batchTransition({ requests: requests.slice(1000) });
    expect((await client.listInvocations({ namespace })).records).toHaveLength(100);
    const max = await client.listInvocations({ namespace, pageSize: 5000 });
    expect(max.records).toHaveLength(1000);
    const rest = await client.listInvocations({ namespace, pageSize: 5000, pageToken: max.nextPageToken });
    expect(rest.records.map((r) => r.invocationId)).toEqual(requests.slice(1000).map((r) => r.invocationId));
    expect(rest.nextPageToken).toBe("");
  });
});
