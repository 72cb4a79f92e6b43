import type Database from "better-sqlite3";
import type { InvocationStatus } from "../../core/index.js";
import { type InvocationQuery, orderKey, type StoredRecord } from "../store.js";
import { RECORD_COLUMNS, type RecordRow, recordFromRow, rowLimit } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";
import type { StatusCounts } from "./status-counts.js";

/** One statement of a page's plan, with its parameters (named, or in order). */
export interface PageStatement {
  readonly sql: string;
  readonly params: Readonly<Record<string, string | number>> | readonly (string | number)[];
}

/**
 * How one page is read: one statement, or one per status whose results are merged (each already
 * in order, each at most offset + limit long). A plan is plain data, so a connection of another
 * thread can read it too (sqlite-page-reader.ts).
 */
export interface InvocationPagePlan {
  readonly statements: readonly PageStatement[];
  /** Merge the statements' rows in `order`, then apply `offset` and `limit`. */
  readonly merge: boolean;
  readonly order: InvocationQuery["order"];
  readonly offset: number;
  readonly limit: number;
}

/** What a plan is chosen by: sizes the store keeps, or counts cheaply. */
export interface PageSizes {
  /** How many invocations a namespace (or its task) has, in any of `statuses` if given. */
  total(namespace: string, taskId?: string, statuses?: Iterable<InvocationStatus>): number;
  /** How many invocations of a namespace have an id in [low, high), counted up to `cap`. */
  inIdRange(namespace: string, low: string, high: string, cap: number): number;
}

/**
 * An id prefix matched by fewer ids than this is read as a range of the primary key and sorted;
 * a more common one filters the walk of an index in the query's order.
 */
export const PREFIX_RANGE_CAP = 5_000;

/** Where a page's rows come from: an index walked in the query's order, or the primary key. */
type Source =
  | "ids"
  | "prefix"
  | "records_revision"
  | "records_status"
  | "records_task"
  | "records_runner"
  | "records_registration"
  | "records_status_registration"
  | "records_task_registration";

/** The indexes that walk a namespace in each key's order: everything, by status, by task. */
const ORDER_INDEXES = {
  revision: ["records_revision", "records_status", "records_task"],
  registered_revision: ["records_registration", "records_status_registration", "records_task_registration"],
} as const;

const COLUMNS = RECORD_COLUMNS.split(", ")
  .map((column) => `r.${column}`)
  .join(", ");

function isDescending(order: InvocationQuery["order"]): boolean {
  return order === "revision-desc" || order === "newest-registration";
}

function sortKey(order: InvocationQuery["order"]): keyof typeof ORDER_INDEXES {
  return order === "revision" || order === "revision-desc" ? "revision" : "registered_revision";
}

/**
 * The least string above every string that starts with `prefix`, in SQLite's BINARY order (UTF-8
 * bytes, so code points): the prefix with its last code point one higher. Undefined when none is.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    let next = points.pop()!.codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return points.join("") + String.fromCodePoint(next);
  }
  return undefined;
}

/** The statement reading a page from `source`, `status` being one status or a set of them. */
function pageStatement(
  query: InvocationQuery,
  source: Source,
  status: InvocationStatus | ReadonlySet<InvocationStatus> | undefined,
  window: { offset: number; limit: number },
): PageStatement {
  // Read by a range of ids, no other term may lead SQLite to another index (a unary + makes a
  // column no index's): the range is small, sorting it is what was chosen.
  const column = (name: string) => (source === "prefix" ? `+r.${name}` : `r.${name}`);
  const params: Record<string, string | number> = { namespace: query.namespace, ...window };
  const where = ["r.namespace = @namespace"];
  if (typeof status === "string") {
    where.push(`${column("status")} = @status`);
    params.status = status;
  } else if (status !== undefined) {
    where.push(`${column("status")} IN (SELECT value FROM json_each(@statuses))`);
    params.statuses = JSON.stringify([...status]);
  }
  if (query.taskId !== undefined) {
    where.push(`${column("task_id")} = @taskId`);
    params.taskId = query.taskId;
  }
  if (query.runnerId !== undefined) {
    where.push(`${column("runner_id")} = @runnerId`);
    params.runnerId = query.runnerId;
  }
  if (query.idPrefix !== undefined && query.idPrefix !== "") {
    // substr and length count characters (code points), as [...prefix] does.
    where.push("substr(r.invocation_id, 1, @prefixLength) = @prefix");
    params.prefix = query.idPrefix;
    params.prefixLength = [...query.idPrefix].length;
    if (source === "prefix") {
      where.push("r.invocation_id >= @prefix AND r.invocation_id < @prefixEnd");
      params.prefixEnd = prefixEnd(query.idPrefix)!;
    }
  }
  const key = sortKey(query.order);
  const descending = isDescending(query.order);
  if (query.after !== undefined) {
    where.push(`${column(key)} ${descending ? "<" : ">"} @after`);
    params.after = query.after;
  }
  let from: string;
  if (source === "ids") {
    // The ids drive the join: each is one lookup by primary key, whatever else the query says.
    from = "json_each(@ids) AS j CROSS JOIN records AS r ON r.namespace = @namespace AND r.invocation_id = j.value";
    params.ids = JSON.stringify([...(query.invocationIds ?? [])]);
  } else {
    from = source === "prefix" ? "records AS r" : `records AS r INDEXED BY ${source}`;
  }
  const sql =
    `SELECT ${COLUMNS} FROM ${from} WHERE ${where.join(" AND ")} ` +
    `ORDER BY ${column(key)} ${descending ? "DESC" : "ASC"} LIMIT @limit OFFSET @offset`;
  return { sql, params };
}

/**
 * Plan a page of a namespace's invocations. Ids are looked up one by one and a rare id prefix is
 * read as a range of ids, both then sorted; otherwise one index is walked in the query's order,
 * filtering as it goes, and LIMIT/OFFSET stop the walk: a runner's own invocations, each status's
 * (one walk per status, merged), the task's, or the whole namespace's. Between a status and a
 * task the smaller of the two is walked, by the counts the store keeps.
 */
export function planInvocationPage(query: InvocationQuery, sizes: PageSizes): InvocationPagePlan {
  const offset = rowLimit(query.offset ?? 0);
  const window = { offset, limit: rowLimit(query.limit) };
  const one = (source: Source, status?: InvocationStatus | ReadonlySet<InvocationStatus>): InvocationPagePlan => ({
    statements: [pageStatement(query, source, status, window)],
    merge: false,
    order: query.order,
    ...window,
  });
  const { namespace, statuses, taskId, idPrefix } = query;
  if (query.invocationIds !== undefined) return one("ids", statuses);
  if (idPrefix !== undefined && idPrefix !== "") {
    const end = prefixEnd(idPrefix);
    if (end !== undefined && sizes.inIdRange(namespace, idPrefix, end, PREFIX_RANGE_CAP) < PREFIX_RANGE_CAP) {
      return one("prefix", statuses);
    }
  }
  if (query.runnerId !== undefined) return one("records_runner", statuses);
  const [everything, byStatus, byTask] = ORDER_INDEXES[sortKey(query.order)];
  const walkStatuses =
    statuses !== undefined &&
    (taskId === undefined || sizes.total(namespace, undefined, statuses) <= sizes.total(namespace, taskId));
  if (!walkStatuses) return one(taskId === undefined ? everything : byTask, statuses);
  if (statuses.size === 1) return one(byStatus, [...statuses][0]);
  // Each status's walk yields at most offset + limit candidates; the page is among them.
  const enough = { offset: 0, limit: offset + window.limit };
  return {
    statements: [...statuses].map((status) => pageStatement(query, byStatus, status, enough)),
    merge: true,
    order: query.order,
    ...window,
  };
}

/** The statements' rows, each statement prepared once per connection. */
export type PageRows = (statement: PageStatement) => RecordRow[];

/** Read statements on `db` as raw rows, preparing each SQL text once. */
export function pageRowsOf(db: Database.Database): PageRows {
  const prepared = new Map<string, Database.Statement<unknown[], RecordRow>>();
  return ({ sql, params }) => {
    let statement = prepared.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[], RecordRow>(sql).raw(true);
      prepared.set(sql, statement);
    }
    return Array.isArray(params) ? statement.all(...params) : statement.all(params);
  };
}

/** The records a plan reads: its one statement's, or its statements' merged in order and windowed. */
export function readPagePlan(plan: InvocationPagePlan, rows: PageRows): StoredRecord[] {
  if (!plan.merge) return plan.statements.length === 0 ? [] : rows(plan.statements[0]!).map(recordFromRow);
  const records = plan.statements.flatMap(rows).map(recordFromRow);
  const sign = isDescending(plan.order) ? -1 : 1;
  records.sort((a, b) => sign * (orderKey(a, plan.order) - orderKey(b, plan.order)));
  return records.slice(plan.offset, plan.offset + plan.limit);
}

/** Reads pages of invocations in SQL, each through the index its plan names. */
export interface SqliteInvocationPages {
  /** How a page of the records matching a query is read; no statements when it is empty. */
  plan(query: InvocationQuery): InvocationPagePlan;
  /** One page of the records matching a query, in its order. */
  read(query: InvocationQuery): StoredRecord[];
  /** The records a plan reads, on this connection. */
  readPlan(plan: InvocationPagePlan): StoredRecord[];
}

/** Create the page reader of a store's database; statements are prepared once per shape. */
export function createSqliteInvocationPages(
  db: Database.Database,
  sql: SqliteStatements,
  counts: StatusCounts,
): SqliteInvocationPages {
  const sizes: PageSizes = {
    total: (namespace, taskId, statuses) => counts.total(namespace, taskId, statuses),
    inIdRange: (namespace, low, high, cap) => sql.countIdRange.get(namespace, low, high, cap)!.n,
  };
  const rows = pageRowsOf(db);
  const plan = (query: InvocationQuery): InvocationPagePlan =>
    query.limit <= 0 || query.statuses?.size === 0 || query.invocationIds?.size === 0
      ? { statements: [], merge: false, order: query.order, offset: 0, limit: 0 }
      : planInvocationPage(query, sizes);
  const readPlan = (plan: InvocationPagePlan) => readPagePlan(plan, rows);
  return { plan, read: (query) => readPlan(plan(query)), readPlan };
}
