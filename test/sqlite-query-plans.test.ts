import Database from "better-sqlite3";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, STATUS_CONFIG } from "../src/core/index.js";
import type { InvocationQuery } from "../src/store/index.js";
import { type PageSizes, planInvocationPage } from "../src/store/sqlite/sqlite-invocation-page.js";
import { SQLITE_STATEMENTS } from "../src/store/sqlite/sqlite-statements.js";
import { StatusCounts } from "../src/store/sqlite/status-counts.js";
import { SQLITE_SCHEMA } from "../src/store/sqlite-schema.js";

// A regression guard: the plans SQLite makes for the store's statements, on the store's schema.
// Bound values do not change a plan (no ANALYZE statistics), so every parameter is bound to null.
const db = new Database(":memory:");
db.exec(SQLITE_SCHEMA);
afterAll(() => db.close());

function plan(sql: string, params: Record<string, unknown> = {}): string[] {
  const names = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows =
    names.length > 0
      ? statement.all(Object.fromEntries(names.map((name) => [name, params[name] ?? null])))
      : statement.all(...Array.from(sql.match(/\?/g) ?? [], () => null));
  return (rows as Array<{ detail: string }>).map((row) => row.detail);
}

/** Lines that read a whole table of ours (json_each, a request's ids, or a subquery's rows are fine). */
function tableScans(lines: string[]): string[] {
  return lines.filter((line) => /^SCAN (?!json_each|j\b|\(subquery)/.test(line));
}

describe("sqlite query plans", () => {
  const atOpen = new Set(["countAtOpen"]);
  // A GROUP BY over what a runner owns, a handful of rows per runner.
  const mayGroup = new Set(["selectOwned"]);

  for (const [name, sql] of Object.entries(SQLITE_STATEMENTS)) {
    if (atOpen.has(name)) continue;
    test(`${name} reads through an index and sorts nothing`, () => {
      const lines = plan(sql);
      expect(tableScans(lines)).toEqual([]);
      if (!mayGroup.has(name)) expect(lines.filter((line) => line.includes("TEMP B-TREE"))).toEqual([]);
    });
  }

  test("the counts at open read one index, not the table", () => {
    expect(plan(SQLITE_STATEMENTS.countAtOpen)[0]).toBe("SCAN records USING COVERING INDEX records_task");
  });

  // Namespace "app": task t1 is large and mostly SUCCESS, t2 is small; REGISTERED is rare; ids
  // starting "rare-" are few, those starting "inv-" many.
  const counts = new StatusCounts(STATUS_CONFIG);
  counts.add("app", "t1", S.SUCCESS, 100_000);
  counts.add("app", "t1", S.REGISTERED, 10);
  counts.add("app", "t1", S.PENDING, 1_000);
  counts.add("app", "t2", S.RUNNING, 50);
  counts.add("app", "t2", S.SUCCESS, 50);
  const sizes: PageSizes = {
    total: (namespace, taskId, statuses) => counts.total(namespace, taskId, statuses),
    inIdRange: (_namespace, low, _high, cap) => (low.startsWith("rare-") ? 12 : cap),
  };

  const pages: Array<{
    name: string;
    query: Partial<InvocationQuery>;
    /** The index the page is read through. */
    index: string;
    /** Statements (one per status when merged). */
    statements?: number;
    /** Whether it sorts what it read: only small sets (ids, a rare prefix's, a runner's by registration). */
    sorts?: boolean;
  }> = [
    { name: "everything in revision order", query: {}, index: "records_revision" },
    {
      name: "newest first after a cursor",
      query: { order: "revision-desc", after: 10, offset: 5 },
      index: "records_revision",
    },
    { name: "one status", query: { statuses: new Set([S.PENDING]) }, index: "records_status" },
    {
      name: "two statuses, merged",
      query: { statuses: new Set([S.PENDING, S.RUNNING]), after: 3 },
      index: "records_status",
      statements: 2,
    },
    { name: "a task", query: { taskId: "t1" }, index: "records_task" },
    {
      name: "a small task with a big status",
      query: { taskId: "t2", statuses: new Set([S.SUCCESS]) },
      index: "records_task",
    },
    {
      name: "a big task with a rare status",
      query: { taskId: "t1", statuses: new Set([S.REGISTERED]) },
      index: "records_status",
    },
    { name: "a runner's", query: { runnerId: "r1", statuses: new Set([S.RUNNING]) }, index: "records_runner" },
    {
      name: "a runner's by registration",
      query: { runnerId: "r1", order: "newest-registration" },
      index: "records_runner",
      sorts: true,
    },
    {
      name: "a rare id prefix",
      query: { idPrefix: "rare-", taskId: "t1", statuses: new Set([S.SUCCESS]), after: 4 },
      index: "PRIMARY KEY",
      sorts: true,
    },
    { name: "a common id prefix", query: { idPrefix: "inv-" }, index: "records_revision" },
    { name: "ids", query: { invocationIds: new Set(["a", "b"]) }, index: "PRIMARY KEY", sorts: true },
    { name: "by registration", query: { order: "oldest-registration" }, index: "records_registration" },
    {
      name: "a task by newest registration",
      query: { order: "newest-registration", taskId: "t1", after: 7 },
      index: "records_task_registration",
    },
    {
      name: "a status by registration",
      query: { order: "newest-registration", statuses: new Set([S.SUCCESS]) },
      index: "records_status_registration",
    },
    {
      name: "statuses of a big task by registration, merged",
      query: { order: "oldest-registration", taskId: "t1", statuses: new Set([S.REGISTERED, S.PENDING]) },
      index: "records_status_registration",
      statements: 2,
    },
  ];
  for (const c of pages) {
    test(`ListInvocations: ${c.name} reads ${c.index}${c.sorts ? "" : " in order"}`, () => {
      const query: InvocationQuery = { namespace: "app", order: "revision", limit: 100, ...c.query };
      const { statements } = planInvocationPage(query, sizes);
      expect(statements.length).toBe(c.statements ?? 1);
      for (const statement of statements) {
        const lines = plan(statement.sql, statement.params as Record<string, unknown>);
        expect(tableScans(lines)).toEqual([]);
        expect(lines.some((line) => line.startsWith("SEARCH r ") && line.includes(c.index))).toBe(true);
        expect(lines.some((line) => line.includes("TEMP B-TREE"))).toBe(c.sorts ?? false);
      }
    });
  }
});
