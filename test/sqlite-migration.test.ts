import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, test } from "vitest";
import { PYNENC_0_3_STATUS_CONFIG, InvocationStatus as S } from "../src/core/index.js";
import { createSqliteStore, StateMachineProfileMismatchError, type TransitionCommand } from "../src/store/index.js";
import { requestFingerprint } from "../src/store/transition-once.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first release's schema (`git show main:src/store/sqlite-schema.ts` before namespaces). */
const VERSION_1_SCHEMA = `
CREATE TABLE records (invocation_id TEXT PRIMARY KEY, status TEXT NOT NULL, runner_id TEXT,
  timestamp_ms INTEGER NOT NULL, revision INTEGER NOT NULL, task_id TEXT NOT NULL, available INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX records_available ON records (revision) WHERE available = 1;
CREATE INDEX records_available_task ON records (task_id, revision) WHERE available = 1;
CREATE INDEX records_status_time ON records (status, timestamp_ms);
CREATE TABLE changes (revision INTEGER PRIMARY KEY, invocation_id TEXT NOT NULL, status TEXT NOT NULL,
  runner_id TEXT, timestamp_ms INTEGER NOT NULL, task_id TEXT NOT NULL, previous_status TEXT,
  previous_runner_id TEXT, reason TEXT NOT NULL);
CREATE INDEX changes_invocation ON changes (invocation_id, revision);
CREATE INDEX changes_time ON changes (timestamp_ms);
CREATE TABLE requests (request_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX requests_revision ON requests (revision);
CREATE TABLE runners (runner_id TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

const BASE_MS = Date.parse("2026-01-01T00:00:00Z");
const at = (revision: number) => BASE_MS + revision * 1_000;

// [revision, id, status, runner, task, previous status, previous runner]. What the first release
// wrote for: z registered (1); a registered and run by r1 (2-4); b registered and taken by r2
// under request id "k" (5-6); "old" run to success (7-10), purged, registered again (11). Then a
// compaction kept revisions from 3: z's and a's registrations are gone from the log.
type V1Change = [number, string, S, string | null, string, S | null, string | null];
const CHANGES: V1Change[] = [
  [1, "z", S.REGISTERED, null, "tz", null, null],
  [2, "a", S.REGISTERED, null, "t", null, null],
  [3, "a", S.PENDING, "r1", "t", S.REGISTERED, null],
  [4, "a", S.RUNNING, "r1", "t", S.PENDING, "r1"],
  [5, "b", S.REGISTERED, null, "t", null, null],
  [6, "b", S.PENDING, "r2", "t", S.REGISTERED, null],
  [7, "old", S.REGISTERED, null, "t", null, null],
  [8, "old", S.PENDING, "r1", "t", S.REGISTERED, null],
  [9, "old", S.RUNNING, "r1", "t", S.PENDING, "r1"],
  [10, "old", S.SUCCESS, null, "t", S.RUNNING, "r1"],
  [11, "old", S.REGISTERED, null, "t2", null, null],
];
const CURRENT = ["z", "a", "b", "old"].map((id) => CHANGES.filter((c) => c[1] === id).at(-1)!);
const B_TAKEN: TransitionCommand = { namespace: "", invocationId: "b", status: S.PENDING, runnerId: "r2", taskId: "" };

/** A store file exactly as the first release left it after the history above. */
function writeVersion1File(path: string): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(VERSION_1_SCHEMA);
  const insertChange = db.prepare(`INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`);
  for (const [revision, id, status, runner, task, previous, previousRunner] of CHANGES) {
    if (revision >= 3) insertChange.run(revision, id, status, runner, at(revision), task, previous, previousRunner);
  }
  const insertRecord = db.prepare(`INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)`);
  for (const [revision, id, status, runner, task] of CURRENT) {
    const available = status === S.REGISTERED ? 1 : 0;
    insertRecord.run(id, status, runner, at(revision), revision, task, available);
  }
  db.prepare(`INSERT INTO requests VALUES ('k', ?, 6)`).run(requestFingerprint(B_TAKEN));
  db.prepare(`INSERT INTO runners VALUES ('r1', ?)`).run(at(9));
  db.prepare(`INSERT INTO leases VALUES ('recovery', 'server-1', ?)`).run(at(60));
  db.exec(`INSERT INTO meta VALUES ('oldest', 3), ('revision', 11)`);
  db.close();
}

test("a file of the first release opens: records, history, requests and runners move into namespace ''", async () => {
  const path = join(dir, "version-1.db");
  writeVersion1File(path);
  const store = createSqliteStore(path, { now: () => new Date(at(30)) });
  try {
    expect(store.currentRevision()).toBe(11);
    expect(store.oldestRevision()).toBe(3);
    // Registration: the latest retained registration, else the earliest retained change, else now.
    const registrations = (await store.batchGet("", ["z", "a", "b", "old"])).records.map((r) => [
      r.invocationId,
      r.registeredRevision,
      r.registeredAt.getTime(),
    ]);
    expect(registrations).toEqual([
      ["z", 1, at(1)],
      ["a", 3, at(3)],
      ["b", 5, at(5)],
      ["old", 11, at(11)],
    ]);
    expect(await store.get("", "a")).toEqual({
      namespace: "",
      invocationId: "a",
      status: S.RUNNING,
      runnerId: "r1",
      timestamp: new Date(at(4)),
      revision: 4,
      taskId: "t",
      registeredRevision: 3,
      registeredAt: new Date(at(3)),
    });
    expect((await store.readHistory("", "a")).map((c) => c.record.revision)).toEqual([3, 4]);
    expect((await store.readHistory("", "old")).map((c) => c.record.revision)).toEqual([11]);
    const log = await store.readChanges(3, 100);
    expect(log.map((c) => c.record.revision)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(log.every((c) => c.record.namespace === "" && c.principal === "")).toBe(true);
    // A change of the earlier life of "old" keeps that life's registration.
    expect(log.find((c) => c.record.revision === 9)?.record).toMatchObject({
      registeredRevision: 7,
      registeredAt: new Date(at(7)),
    });
    const counts = (await store.countInvocations("")).counts;
    expect(Object.fromEntries([...counts].filter(([, n]) => n > 0))).toEqual({
      [S.REGISTERED]: 2,
      [S.PENDING]: 1,
      [S.RUNNING]: 1,
    });
    expect((await store.countInvocations("", "t2")).counts.get(S.REGISTERED)).toBe(1);
    expect((await store.listRunners("")).runners).toEqual([
      {
        runnerId: "r1",
        createdAt: new Date(at(9)),
        lastHeartbeat: new Date(at(9)),
        canRunAtomicService: false,
        consumedQueues: [],
        owned: new Map([[S.RUNNING, 1]]),
      },
    ]);
    // The request id still stands for its change; the lease is still held.
    expect((await store.transition({ ...B_TAKEN, requestId: "k" })).record.revision).toBe(6);
    expect(await store.acquireLease("recovery", "server-2", 1_000)).toBe(false);
    const available = await store.listAvailableForRun({ namespace: "", afterRevision: 0, limit: 10, taskId: "" });
    expect(available.records.map((r) => r.invocationId)).toEqual(["z", "old"]);
    expect((await store.transition({ ...B_TAKEN, status: S.RUNNING })).record.revision).toBe(12);
  } finally {
    await store.close();
  }

  // Migrated once: the schema is versioned, and the file is pinned to the state machine that wrote it.
  const raw = new Database(path, { readonly: true });
  expect(raw.pragma("user_version", { simple: true })).toBe(2);
  expect(raw.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '%_v1'`).all()).toEqual([]);
  raw.close();
  expect(() => createSqliteStore(path, { config: PYNENC_0_3_STATUS_CONFIG })).toThrow(StateMachineProfileMismatchError);
  const again = createSqliteStore(path);
  expect(again.currentRevision()).toBe(12);
  expect((await again.readHistory("", "b")).map((c) => c.record.status)).toEqual([S.REGISTERED, S.PENDING, S.RUNNING]);
  await again.close();
});
