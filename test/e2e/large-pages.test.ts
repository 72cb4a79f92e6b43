import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  InvocationOrder as O,
  InvocationStatus as S,
  type StatusRecord,
  type StatusService,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { SLICE_RECORDS } from "../../src/service/sliced-reads.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { sampleSum, scrapeMetrics } from "../helpers/prometheus-text.js";

/**
 * Pages of up to 1,000 records are read, converted and (for gRPC) encoded SLICE_RECORDS at a time,
 * one slice per turn of the event loop (src/service/sliced-reads.ts), or, for a SQLite store over
 * gRPC, on its page thread (src/service/page-thread.ts). Through every protocol and on
 * the stores that read in slices, they must be what one read would give: every record once, in
 * order, continuing on the next page, with changes made while the page is read.
 */
const COUNT = 1_200;
const ids = (records: readonly StatusRecord[]) => records.map((r) => r.invocationId);
const expectedIds = Array.from({ length: COUNT }, (_, i) => `inv-${String(i).padStart(5, "0")}`);

const dir = mkdtempSync(join(tmpdir(), "large-pages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(["memory", "sqlite"] as const)("pages of 1,000 on the %s store", (storeKind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: storeKind === "memory" ? "memory" : `sqlite:${join(dir, "pages.db")}` });
    for (let i = 0; i < COUNT; i += 1_000) {
      const items = expectedIds
        .slice(i, i + 1_000)
        .map((invocationId) => ({ invocationId, status: S.REGISTERED, taskId: "t" }));
      const response = await server.grpc.batchTransition({ requests: items });
      expect(response.results.every((r) => r.result.case === "response")).toBe(true);
    }
  });
  afterAll(() => server.close());

  describe.each(["grpc", "connect", "grpcWeb"] as const)("over %s", (protocol) => {
    const client = (): Client<typeof StatusService> => server[protocol];

    test("ListInvocations: 1,000 in order, then the rest; newest registration first with an offset", async () => {
      const first = await client().listInvocations({ pageSize: 1_000, order: O.REVISION });
      expect(ids(first.records)).toEqual(expectedIds.slice(0, 1_000));
      expect(first.revision).toBe(BigInt(server.server.store.currentRevision()));
      const second = await client().listInvocations({ pageSize: 1_000, pageToken: first.nextPageToken });
      expect(ids(second.records)).toEqual(expectedIds.slice(1_000));
      expect(second.nextPageToken).toBe("");
      const newest = await client().listInvocations({ pageSize: 1_000, order: O.NEWEST_REGISTRATION, offset: 150 });
      expect(ids(newest.records)).toEqual([...expectedIds].reverse().slice(150, 1_150));
      expect(newest.records[0]).toMatchObject({ status: S.REGISTERED, taskId: "t" });
    });

    test("ListAvailableForRun and BatchGet of 1,000 (unknown ids left out, the order asked kept)", async () => {
      const available = await client().listAvailableForRun({ pageSize: 1_000 });
      expect(ids(available.records)).toEqual(expectedIds.slice(0, 1_000));
      const asked = [...expectedIds.slice(200, 1_199)].reverse();
      asked.splice(500, 0, "unknown");
      const got = await client().batchGet({ invocationIds: asked });
      expect(ids(got.records)).toEqual(asked.filter((id) => id !== "unknown"));
      expect(got.revision).toBe(BigInt(server.server.store.currentRevision()));
    });
  });

  test("SQLite's large gRPC pages are read on its page thread; other ports and stores on the event loop", async () => {
    const read = async () => {
      const samples = await scrapeMetrics(server.server.httpAddress);
      const count = (thread: string) => sampleSum(samples, "pynenc_status_large_pages_total", { thread });
      return { pageThread: count("page_thread"), eventLoop: count("event_loop") };
    };
    const before = await read();
    const overGrpc = await server.grpc.listInvocations({ pageSize: 1_000, order: O.REVISION_DESC });
    const overConnect = await server.connect.listInvocations({ pageSize: 1_000, order: O.REVISION_DESC });
    expect(ids(overGrpc.records)).toEqual(ids(overConnect.records));
    await server.grpc.listInvocations({ pageSize: 100 }); // a small page is no large page
    const after = await read();
    const onThread = storeKind === "sqlite" ? 1 : 0;
    expect(after.pageThread - before.pageThread).toBe(onThread);
    expect(after.eventLoop - before.eventLoop).toBe(2 - onThread);
  });

  test("changes made while a page is read: each record once, in order, and none older than the page's revision", async () => {
    const namespace = `moving-${storeKind}`;
    const moving = expectedIds.slice(0, 3 * SLICE_RECORDS);
    await server.grpc.batchTransition({
      requests: moving.map((invocationId) => ({ namespace, invocationId, status: S.REGISTERED, taskId: "t" })),
    });
    // Move the records the page has already passed while it is being read, so they come again.
    const transitions = Promise.all(
      moving.map((invocationId) =>
        server.grpc.transition({ namespace, invocationId, status: S.PENDING, runnerId: "r" }),
      ),
    );
    const page = await server.grpc.listInvocations({ namespace, pageSize: 1_000, order: O.REVISION });
    await transitions;
    const pageIds = ids(page.records);
    expect(new Set(pageIds).size).toBe(pageIds.length);
    const revisions = page.records.map((r) => r.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => Number(a - b)));
    // Every change up to the page's revision is in the page: a watch from the revision after it misses nothing.
    for (const record of page.records) {
      const history = await server.grpc.getHistory({ namespace, invocationId: record.invocationId });
      const known = history.entries.filter((e) => (e.record?.revision ?? 0n) <= page.revision).at(-1);
      expect(record.revision).toBeGreaterThanOrEqual(known?.record?.revision ?? 0n);
    }
    expect(new Set(pageIds)).toEqual(new Set(moving));
  });
});
