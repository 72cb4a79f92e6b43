import Database from "better-sqlite3";
import { afterEach, beforeEach, expect, test } from "vitest";
import { InvocationStatus as S } from "../src/core/index.js";
import type { StoredChange } from "../src/store/index.js";
import { createSqliteGroupCommit, type SqliteGroupCommit } from "../src/store/sqlite-group-commit.js";

let db: Database.Database;
let groupCommit: SqliteGroupCommit;
let published: number[];

function change(revision: number): StoredChange {
  const at = new Date(0);
  return {
    record: {
      namespace: "",
      invocationId: `i-${revision}`,
      status: S.REGISTERED,
      runnerId: null,
      timestamp: at,
      revision,
      taskId: "",
      registeredRevision: revision,
      registeredAt: at,
    },
    previousStatus: null,
    previousRunnerId: null,
    reason: "",
    principal: "",
  };
}

beforeEach(() => {
  db = new Database(":memory:");
  db.exec("CREATE TABLE rows (revision INTEGER PRIMARY KEY)");
  published = [];
  groupCommit = createSqliteGroupCommit(db, { revision: 0, publish: (c) => published.push(c.record.revision) });
});
afterEach(() => {
  groupCommit.close();
  db.close();
});

const insert = (revision: number) => db.prepare("INSERT INTO rows VALUES (?)").run(revision);
const stored = () => db.prepare("SELECT revision FROM rows ORDER BY revision").pluck().all();

test("an attempt that fails is taken back alone: its rows, its revisions and its after-commit actions", async () => {
  const actions: string[] = [];
  const outcome = await groupCommit.enqueue((writer) => {
    const attempts = [true, false, true].map((succeeds, i) =>
      writer.attempt((w) => {
        const revision = w.lastRevision() + 1;
        insert(revision);
        w.written(change(revision));
        w.afterCommit(() => actions.push(`part ${i}`));
        if (!succeeds) throw new Error(`part ${i} failed`);
        return revision;
      }),
    );
    // After-commit actions run once the group commits, not before.
    expect(actions).toEqual([]);
    return attempts;
  });
  expect(outcome).toEqual([{ value: 1 }, { error: new Error("part 1 failed") }, { value: 2 }]);
  expect(stored()).toEqual([1, 2]);
  expect(published).toEqual([1, 2]);
  expect(actions).toEqual(["part 0", "part 2"]);
  expect(groupCommit.revision()).toBe(2);
});

test("after-commit actions of a whole group run before any of its changes is published", async () => {
  const events: string[] = [];
  groupCommit.close();
  groupCommit = createSqliteGroupCommit(db, {
    revision: 0,
    publish: (c) => events.push(`published ${c.record.revision}`),
  });
  const operation = (label: string) =>
    groupCommit.enqueue((writer) => {
      const revision = writer.lastRevision() + 1;
      insert(revision);
      writer.written(change(revision));
      writer.afterCommit(() => events.push(`counted ${label}`));
    });
  const failing = groupCommit.enqueue((writer) => {
    writer.afterCommit(() => events.push("counted failing"));
    throw new Error("rolled back");
  });
  await Promise.all([operation("a"), failing.catch(() => {}), operation("b")]);
  expect(events).toEqual(["counted a", "counted b", "published 1", "published 2"]);
});
