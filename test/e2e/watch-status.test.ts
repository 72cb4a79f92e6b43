import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { WatchStatusRequestSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import {
  InvocationStatus as S,
  type StatusService,
  type WatchStatusResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcJsClient, errorDetails } from "../helpers/grpc-js-client.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { expectRpcError } from "./rpc-errors.js";

type WatchRequest = MessageInitShape<typeof WatchStatusRequestSchema>;

/** Read a watch until `until` says stop; returns what arrived. */
async function collect(
  client: Client<typeof StatusService>,
  request: WatchRequest,
  until: (events: WatchStatusResponse[]) => boolean,
): Promise<WatchStatusResponse[]> {
  const controller = new AbortController();
  const events: WatchStatusResponse[] = [];
  try {
    for await (const event of client.watchStatus(request, { signal: controller.signal })) {
      events.push(event);
      if (until(events)) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

const changes = (events: WatchStatusResponse[]) =>
  events.flatMap((e) => (e.event.case === "change" ? [e.event.value] : []));
const revisionsOf = (events: WatchStatusResponse[]) => changes(events).map((c) => Number(c.record!.revision));

async function lifecycle(client: Client<typeof StatusService>, id: string, runner: string, task = "") {
  await client.transition({ invocationId: id, status: S.REGISTERED, taskId: task });
  await client.transition({ invocationId: id, status: S.PENDING, runnerId: runner });
  await client.transition({ invocationId: id, status: S.RUNNING, runnerId: runner });
  await client.transition({ invocationId: id, status: S.SUCCESS, runnerId: runner });
}

describe.each(["grpc", "connect", "grpcWeb"] as const)("WatchStatus over %s", (protocol) => {
  let server: TestServer;
  let client: Client<typeof StatusService>;
  beforeAll(async () => {
    server = await startTestServer({ store: "memory", watchProgressIntervalMs: 200 });
    client = server[protocol];
  });
  afterAll(() => server.close());

  test("replays from start_revision, then live, in order, each change once", async () => {
    await lifecycle(client, "a", "r1");
    const watching = collect(client, { startRevision: 2n }, (e) => changes(e).length >= 7);
    await lifecycle(client, "b", "r2");
    const events = await watching;
    expect(revisionsOf(events)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const [first] = changes(events);
    expect(first).toMatchObject({ previousStatus: S.REGISTERED, initial: false });
    expect(first!.previousRunnerId).toBeUndefined();
    expect(first!.record).toMatchObject({ invocationId: "a", status: S.PENDING, runnerId: "r1" });
  });

  test("include_initial sends the current records, then a progress mark at their revision, then changes", async () => {
    await client.transition({ invocationId: "init-1", status: S.REGISTERED, taskId: "init" });
    await client.transition({ invocationId: "init-2", status: S.REGISTERED, taskId: "init" });
    const listed = await client.listAvailableForRun({ taskId: "init" });
    const watching = collect(client, { taskId: "init", includeInitial: true }, (e) => changes(e).length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    await client.transition({ invocationId: "init-1", status: S.PENDING, runnerId: "r9" });
    const events = await watching;
    expect(events[0]?.event.case === "change" && events[0].event.value.initial).toBe(true);
    expect(events[1]?.event.case === "change" && events[1].event.value.initial).toBe(true);
    expect(events[2]?.event).toEqual(expect.objectContaining({ case: "progress" }));
    expect((events[2]!.event.value as { revision: bigint }).revision).toBeGreaterThanOrEqual(listed.revision);
    const live = changes(events)[2]!;
    expect(live).toMatchObject({ initial: false, previousStatus: S.REGISTERED, record: { runnerId: "r9" } });
  });

  test("filters by invocation, new status, runner (new or previous owner) and task", async () => {
    const start = (await client.listAvailableForRun({})).revision + 1n;
    await lifecycle(client, "f-1", "r-f1", "task-f");
    await lifecycle(client, "f-2", "r-f2", "task-f");
    await lifecycle(client, "f-3", "r-f1", "task-g");
    const cases: Array<{ request: WatchRequest; expected: Array<[string, S]> }> = [
      {
        request: { invocationIds: ["f-2"] },
        expected: [
          ["f-2", S.REGISTERED],
          ["f-2", S.PENDING],
          ["f-2", S.RUNNING],
          ["f-2", S.SUCCESS],
        ],
      },
      {
        request: { statuses: [S.SUCCESS] },
        expected: [
          ["f-1", S.SUCCESS],
          ["f-2", S.SUCCESS],
          ["f-3", S.SUCCESS],
        ],
      },
      // The SUCCESS change has no owner any more; its previous owner was the runner.
      {
        request: { runnerId: "r-f2" },
        expected: [
          ["f-2", S.PENDING],
          ["f-2", S.RUNNING],
          ["f-2", S.SUCCESS],
        ],
      },
      {
        request: { taskId: "task-g", statuses: [S.REGISTERED, S.RUNNING] },
        expected: [
          ["f-3", S.REGISTERED],
          ["f-3", S.RUNNING],
        ],
      },
    ];
    for (const c of cases) {
      const events = await collect(client, { ...c.request, startRevision: start }, (e) =>
        e.some((x) => x.event.case === "progress"),
      );
      expect(changes(events).map((x) => [x.record!.invocationId, x.record!.status])).toEqual(c.expected);
    }
  });

  test("an idle watch gets progress marks", async () => {
    const events = await collect(client, { invocationIds: ["never"] }, (e) => e.length >= 3);
    expect(events.every((e) => e.event.case === "progress")).toBe(true);
  });

  const badWatches: Array<{ name: string; request: WatchRequest }> = [
    { name: "an unknown status", request: { statuses: [99 as S] } },
    { name: "an UNSPECIFIED status", request: { statuses: [S.UNSPECIFIED] } },
    { name: "an empty invocation id", request: { invocationIds: ["ok", ""] } },
    { name: "include_initial with start_revision", request: { includeInitial: true, startRevision: 1n } },
    { name: "an empty runner id", request: { runnerId: "" } },
  ];
  for (const c of badWatches) {
    test(`${c.name} is INVALID_ARGUMENT`, async () => {
      await expectRpcError(
        collect(client, c.request, () => true),
        Code.InvalidArgument,
        "INVALID_ARGUMENT",
      );
    });
  }
});

describe("watch limits and shutdown", () => {
  test("a slow watcher is cut off with RESOURCE_EXHAUSTED naming the last revision sent, and resumes losing nothing", async () => {
    // The watcher reads again only after 600 transitions: give it time, however loaded the machine.
    const server = await startTestServer({ store: "memory", watchBufferLimit: 50, watchCutOffGraceMs: 120_000 });
    const raw = createGrpcJsClient(server.server.grpcAddress);
    const call = (
      raw as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<WatchStatusResponse>>
    ).watchStatus!.call(raw, { startRevision: 1n });
    const received: number[] = [];
    call.on("data", (m: WatchStatusResponse) => {
      if (m.event.case === "change") received.push(Number(m.event.value.record!.revision));
    });
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    await server.grpc.transition({ invocationId: "slow-0", status: S.REGISTERED });
    await new Promise((r) => setTimeout(r, 100));
    call.pause();
    const total = 600;
    for (let i = 1; i < total; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, total - i) }, (_, k) =>
          server.grpc.transition({ invocationId: `slow-${i + k}`, status: S.REGISTERED }),
        ),
      );
    }
    call.resume();
    const error = await ended;
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const info = errorDetails(error).errorInfo;
    expect(info?.reason).toBe("WATCHER_TOO_SLOW");
    const lastSent = Number(info!.metadata.lastSentRevision);
    // grpc-js reports the status before it hands over the messages it buffered while paused.
    await vi.waitFor(() => expect(received.at(-1)).toBe(lastSent));
    expect(received).toEqual(Array.from({ length: lastSent }, (_, i) => i + 1));
    expect(lastSent).toBeLessThan(total);
    const rest = await collect(
      server.grpc,
      { startRevision: BigInt(lastSent + 1) },
      (e) => changes(e).length >= total - lastSent,
    );
    expect([...received, ...revisionsOf(rest)]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    raw.close();
    await server.close();
  });

  test("shutdown ends open watches with UNAVAILABLE", async () => {
    const server = await startTestServer({ store: "memory" });
    const controller = new AbortController();
    const stream = server.grpc.watchStatus({}, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.event.case).toBe("progress");
    const closing = server.close();
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unavailable);
    await closing;
  });

  test("a start_revision beyond the present waits for that revision", async () => {
    const server = await startTestServer({ store: "memory" });
    const watching = collect(server.grpc, { startRevision: 3n }, (e) => changes(e).length >= 1);
    for (let i = 0; i < 3; i++) await server.grpc.transition({ invocationId: `future-${i}`, status: S.REGISTERED });
    expect(revisionsOf(await watching)).toEqual([3]);
    await server.close();
  });
});
