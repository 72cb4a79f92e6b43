import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../src/core/index.js";
import { createSqliteStore, StoreLockedError } from "../src/store/index.js";
import { describeStoreContract } from "./store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeStoreContract("sqlite", (options) => createSqliteStore(join(dir, `contract-${n++}.db`), options));

describe("sqlite store on disk", () => {
  test("records, history and revisions carry on after a reopen", async () => {
    const path = join(dir, "reopen.db");
    const first = createSqliteStore(path);
    await first.transition({ invocationId: "a", status: S.REGISTERED, runnerId: null, taskId: "t" });
    await first.transition({ invocationId: "a", status: S.PENDING, runnerId: "r1", taskId: "" });
    await first.close();
    const second = createSqliteStore(path);
    expect(second.currentRevision()).toBe(2);
    expect(await second.get("a")).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2, taskId: "t" });
    const next = await second.transition({ invocationId: "a", status: S.RUNNING, runnerId: "r1", taskId: "" });
    expect(next.record.revision).toBe(3);
    expect((await second.readHistory("a")).map((c) => c.record.revision)).toEqual([1, 2, 3]);
    await second.close();
  });

  test("transitions that arrive together commit in one group, each validated after the one before", async () => {
    const store = createSqliteStore(join(dir, "group.db"));
    const results = await Promise.allSettled([
      store.transition({ invocationId: "g", status: S.REGISTERED, runnerId: null, taskId: "" }),
      store.transition({ invocationId: "g", status: S.PENDING, runnerId: "r1", taskId: "" }),
      store.transition({ invocationId: "g", status: S.PENDING, runnerId: "r2", taskId: "" }),
      store.transition({ invocationId: "g", status: S.RUNNING, runnerId: "r1", taskId: "" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((await store.get("g"))?.revision).toBe(3);
    await store.close();
  });

  test("a second server on the same file is refused, and can open it once the first closes", async () => {
    const path = join(dir, "locked.db");
    const first = createSqliteStore(path);
    expect(() => createSqliteStore(path)).toThrow(StoreLockedError);
    await first.close();
    const second = createSqliteStore(path);
    await second.close();
  });
});
