import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ListInvocationsResponseSchema } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { InvocationStatus as S } from "../core/index.js";
import { createSqliteStore, type InvocationQuery, type StatusStore } from "../store/index.js";
import { createPageThread, type PageThread } from "./page-thread.js";
import { recordToProto } from "./proto-conversions.js";

// The page thread reads a SQLite store's file on a read-only connection of its own, in a worker
// thread: its pages must be the store's own, and see every write the store has acknowledged.
const dir = mkdtempSync(join(tmpdir(), "page-thread-"));
let store: StatusStore;
let thread: PageThread;
const errors: unknown[] = [];

beforeAll(async () => {
  store = createSqliteStore(join(dir, "pages.db"));
  thread = createPageThread(join(dir, "pages.db"), (error) => errors.push(error));
  const ids = Array.from({ length: 600 }, (_, i) => `inv-${String(i).padStart(4, "0")}`);
  const registered = await store.batchTransition(
    ids.map((invocationId, i) => ({
      namespace: "",
      invocationId,
      status: S.REGISTERED,
      runnerId: null,
      taskId: `task-${i % 4}`,
    })),
  );
  const pending = await store.batchTransition(
    ids
      .filter((_, i) => i % 3 === 0)
      .map((invocationId, i) => ({
        namespace: "",
        invocationId,
        status: S.PENDING,
        runnerId: `runner-${i % 2}`,
        taskId: "",
      })),
  );
  expect([...registered, ...pending].filter((r) => r instanceof Error)).toEqual([]);
});
afterAll(async () => {
  thread.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The thread's page for `query`, decoded, next to the store's own read of it. */
async function bothReads(query: InvocationQuery, size: number) {
  const page = await thread.read(store.sqlitePages!.listInvocations(query), size);
  const own = await store.listInvocations(query);
  return { page, decoded: fromBinary(ListInvocationsResponseSchema, page.encoded).records, own };
}

describe("pages read on the page thread", () => {
  test.each<[string, Omit<InvocationQuery, "namespace" | "limit">]>([
    ["every record in revision order", { order: "revision" }],
    ["newest registration first, after an offset", { order: "newest-registration", offset: 50 }],
    ["two statuses, merged in order", { order: "revision-desc", statuses: new Set([S.PENDING, S.REGISTERED]) }],
    ["one task's, after a position", { order: "revision", taskId: "task-1", after: 100 }],
    ["one runner's", { order: "oldest-registration", runnerId: "runner-1" }],
    ["an id prefix", { order: "revision", idPrefix: "inv-02" }],
  ])("%s: the store's own records, the same revision, and whether more follow", async (_, filter) => {
    const { page, decoded, own } = await bothReads({ namespace: "", limit: 301, ...filter }, 300);
    expect(own.records.length).toBeGreaterThan(0);
    expect(decoded).toEqual(own.records.slice(0, 300).map(recordToProto));
    expect(page.revision).toBe(own.revision);
    expect(page.more).toBe(own.records.length > 300);
    expect(page.last).toEqual(own.records.slice(0, 300).at(-1));
  });

  test("available for run: the store's page", async () => {
    const query = { namespace: "", afterRevision: 10, limit: 251, taskId: "" };
    const page = await thread.read(store.sqlitePages!.listAvailableForRun(query), 250);
    const own = await store.listAvailableForRun(query);
    expect(fromBinary(ListInvocationsResponseSchema, page.encoded).records).toEqual(
      own.records.slice(0, 250).map(recordToProto),
    );
    expect(page.more).toBe(true);
  });

  test("a write the store acknowledged is in the next page read there", async () => {
    const change = await store.transition({
      namespace: "",
      invocationId: "inv-0001",
      status: S.PENDING,
      runnerId: "runner-9",
      taskId: "task-1",
    });
    const { page, decoded } = await bothReads({ namespace: "", limit: 10, order: "revision-desc" }, 10);
    expect(page.revision).toBe(change.record.revision);
    expect(decoded[0]).toMatchObject({
      invocationId: "inv-0001",
      runnerId: "runner-9",
      revision: BigInt(change.record.revision),
    });
  });

  test("a file it cannot read rejects the read, and the thread still serves the next", async () => {
    const elsewhere = createPageThread(join(dir, "missing.db"), (error) => errors.push(error));
    try {
      await expect(
        elsewhere.read(store.sqlitePages!.listInvocations({ namespace: "", limit: 5, order: "revision" }), 5),
      ).rejects.toThrow(/could not read a page of/);
      expect(elsewhere.usable).toBe(true);
    } finally {
      elsewhere.close();
    }
    const { decoded } = await bothReads({ namespace: "", limit: 5, order: "revision" }, 5);
    expect(decoded).toHaveLength(5);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/missing\.db/);
  });
});
