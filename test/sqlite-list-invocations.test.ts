import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { InvocationStatus as S } from "../src/core/index.js";
import {
  createMemoryStore,
  createSqliteStore,
  type InvocationOrder,
  type InvocationQuery,
  orderKey,
  type TransitionCommand,
} from "../src/store/index.js";
import { prefixEnd } from "../src/store/sqlite/sqlite-invocation-page.js";

// ListInvocations on SQLite plans each query by the sizes the counts give (sqlite-invocation-page.ts):
// on a store of uneven statuses and tasks, every plan must give the page the memory store gives.
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-list-"));
let clockMs = Date.parse("2026-01-01T00:00:00Z");
const now = () => new Date(clockMs);
const sqlite = createSqliteStore(join(dir, "list.db"), { now });
const memory = createMemoryStore({ now });
afterAll(async () => {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const next = random(13);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

const NAMESPACES = ["", "app"];
const TASKS = ["t-big", "t-big", "t-big", "t-small", "t-rare"];
const RUNNERS = ["r1", "r2", "r3"];

async function both(commands: TransitionCommand[]): Promise<void> {
  const [a, b] = await Promise.all([sqlite.batchTransition(commands), memory.batchTransition(commands)]);
  expect(a.map((r) => r instanceof Error)).toEqual(b.map((r) => r instanceof Error));
}

beforeAll(async () => {
  // 600 invocations; most run to SUCCESS, some stop on the way, some in a namesake namespace.
  const ids = Array.from({ length: 600 }, (_, i) => ({ namespace: pick(NAMESPACES), id: `inv-${i % 7}-${i}` }));
  await both(
    ids.map(({ namespace, id }) => ({
      namespace,
      invocationId: id,
      status: S.REGISTERED,
      runnerId: null,
      taskId: pick(TASKS),
    })),
  );
  for (const stage of [S.PENDING, S.RUNNING, S.SUCCESS] as const) {
    clockMs += 1_000;
    const moving = ids.filter(() => next() < 0.8);
    await both(
      moving.map(({ namespace, id }) => ({
        namespace,
        invocationId: id,
        status: stage,
        runnerId: pick(RUNNERS),
        taskId: "",
      })),
    );
  }
});

const ORDERS: InvocationOrder[] = ["revision", "revision-desc", "newest-registration", "oldest-registration"];
const STATUS_SETS = [
  undefined,
  [S.SUCCESS],
  [S.REGISTERED],
  [S.PENDING, S.RUNNING],
  [S.REGISTERED, S.SUCCESS, S.FAILED],
  [S.KILLED],
];

function randomQuery(): InvocationQuery {
  const statuses = pick(STATUS_SETS);
  const query: InvocationQuery = {
    namespace: pick(NAMESPACES),
    order: pick(ORDERS),
    limit: pick([1, 3, 10, 50, 1_000]),
    ...(statuses && { statuses: new Set(statuses) }),
    ...(next() < 0.4 && { taskId: pick(TASKS) }),
    ...(next() < 0.15 && { runnerId: pick(RUNNERS) }),
    ...(next() < 0.2 && { idPrefix: `inv-${Math.floor(next() * 7)}` }),
    ...(next() < 0.3 && { offset: Math.floor(next() * 40) }),
    ...(next() < 0.1 && {
      invocationIds: new Set(
        Array.from({ length: 30 }, () => `inv-${Math.floor(next() * 7)}-${Math.floor(next() * 600)}`),
      ),
    }),
  };
  return query;
}

test("every query plan gives the memory store's page, page after page", async () => {
  let pagesCompared = 0;
  for (let i = 0; i < 300; i++) {
    const query = randomQuery();
    let after: number | undefined;
    for (let page = 0; page < 4; page++) {
      const paged = { ...query, after };
      const [got, expected] = await Promise.all([sqlite.listInvocations(paged), memory.listInvocations(paged)]);
      expect(got, JSON.stringify({ ...paged, statuses: [...(paged.statuses ?? [])] })).toEqual(expected);
      pagesCompared++;
      if (got.records.length < query.limit) break;
      after = orderKey(got.records.at(-1)!, query.order);
    }
  }
  expect(pagesCompared).toBeGreaterThan(300);
});

test("the counts the plans are chosen by are the memory store's", async () => {
  for (const namespace of NAMESPACES) {
    for (const taskId of [undefined, ...new Set(TASKS)]) {
      expect((await sqlite.countInvocations(namespace, taskId)).counts).toEqual(
        (await memory.countInvocations(namespace, taskId)).counts,
      );
    }
  }
});

const prefixCases: Array<{ prefix: string; end: string | undefined; inside: string[]; outside: string[] }> = [
  { prefix: "inv-", end: "inv.", inside: ["inv-", "inv-\u{10FFFF}x"], outside: ["inv", "inv.", "inw"] },
  { prefix: "a\u{1F600}", end: "a\u{1F601}", inside: ["a\u{1F600}b"], outside: ["a\u{1F601}", "a\uFFFF"] },
  { prefix: "\u{D7FF}", end: "\u{E000}", inside: ["\u{D7FF}z"], outside: ["\u{E000}"] },
  { prefix: "b\u{10FFFF}", end: "c", inside: ["b\u{10FFFF}\u{10FFFF}"], outside: ["c"] },
  { prefix: "\u{10FFFF}", end: undefined, inside: [], outside: [] },
];
for (const c of prefixCases) {
  test(`the ids starting ${JSON.stringify(c.prefix)} lie below ${JSON.stringify(c.end)} in UTF-8 order`, () => {
    const end = prefixEnd(c.prefix);
    expect(end).toBe(c.end);
    if (end === undefined) return;
    const utf8 = (value: string) => Buffer.from(value, "utf8");
    for (const id of c.inside) {
      expect(Buffer.compare(utf8(c.prefix), utf8(id))).toBeLessThanOrEqual(0);
      expect(Buffer.compare(utf8(id), utf8(end))).toBe(-1);
    }
    for (const id of c.outside) {
      expect(Buffer.compare(utf8(id), utf8(c.prefix)) < 0 || Buffer.compare(utf8(id), utf8(end)) >= 0).toBe(true);
    }
  });
}
