// With 50 runners claiming at once against 10,000 invocations, no invocation is claimed twice and
// none is left behind: ClaimAvailable against a real SQLite server process, over 50 connections.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { InvocationStatus as S, type StatusRecord, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { expectRpcError } from "./rpc-errors.js";

const COUNT = 10_000;
const CLAIMERS = 50;
const MAX_COUNT = 7;

let dir: string;
let server: ServerProcess;
/** A client on its own HTTP/2 connection. */
const connect = (): Client<typeof StatusService> =>
  createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pynenc-status-claim-race-"));
  server = await startServerProcess(["--store", `sqlite:${join(dir, "claims.db")}`]);
});
afterAll(async () => {
  await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `work` on every item with at most `concurrency` calls in flight. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

test(`${CLAIMERS} runners claiming at once take each of ${COUNT} invocations exactly once`, {
  timeout: 60_000,
}, async () => {
  const client = connect();
  const ids = Array.from({ length: COUNT }, (_, i) => `race-${String(i).padStart(5, "0")}`);
  const t0 = Date.now();
  await inParallel(ids, 200, (invocationId) =>
    client.transition({ invocationId, status: S.REGISTERED, taskId: "race.task" }),
  );
  const registered = Date.now() - t0;
  const revision = async () => (await client.listAvailableForRun({ pageSize: 1 })).revision;
  expect(await revision()).toBe(BigInt(COUNT));

  // Bad input is INVALID_ARGUMENT and changes nothing.
  const oldest = (await client.listAvailableForRun({ pageSize: 5 })).records;
  await expectRpcError(
    client.claimAvailable({ runnerId: "claimer-0", maxCount: -1 }),
    Code.InvalidArgument,
    "INVALID_ARGUMENT",
  );
  await expectRpcError(client.claimAvailable({ runnerId: "", maxCount: 5 }), Code.InvalidArgument, "INVALID_ARGUMENT");
  expect(await revision()).toBe(BigInt(COUNT));
  expect((await client.listAvailableForRun({ pageSize: 5 })).records).toEqual(oldest);

  // 50 claimers, each on its own connection, all starting in the same tick; each claims until
  // it gets an empty answer.
  const claimers = Array.from({ length: CLAIMERS }, (_, i) => ({ runnerId: `claimer-${i}`, client: connect() }));
  const t1 = Date.now();
  const claimed = await Promise.all(
    claimers.map(async ({ runnerId, client }) => {
      const got: StatusRecord[] = [];
      for (;;) {
        const { records } = await client.claimAvailable({ runnerId, maxCount: MAX_COUNT });
        expect(records.length).toBeLessThanOrEqual(MAX_COUNT);
        if (records.length === 0) return { runnerId, got };
        got.push(...records);
      }
    }),
  );
  const claiming = Date.now() - t1;

  // Every record handed out is PENDING for the claimer that got it; together exactly the 10,000.
  const claimerOf = new Map<string, string>();
  const records = new Map<string, StatusRecord>();
  for (const { runnerId, got } of claimed) {
    for (const record of got) {
      expect([record.invocationId, record.status, record.runnerId]).toEqual([record.invocationId, S.PENDING, runnerId]);
      expect(claimerOf.get(record.invocationId), `${record.invocationId} claimed twice`).toBeUndefined();
      claimerOf.set(record.invocationId, runnerId);
      records.set(record.invocationId, record);
    }
  }
  const total = claimed.reduce((n, c) => n + c.got.length, 0);
  expect(total).toBe(COUNT);
  expect([...claimerOf.keys()].sort()).toEqual(ids);
  // One change per claim, each with its own revision, and nothing else changed.
  expect(new Set([...records.values()].map((r) => r.revision)).size).toBe(COUNT);
  expect(await revision()).toBe(BigInt(2 * COUNT));
  expect((await client.listAvailableForRun({ pageSize: 10 })).records).toEqual([]);
  expect((await client.claimAvailable({ runnerId: "late", maxCount: 1000 })).records).toEqual([]);

  // The store agrees with what the claimers were told, on a sample.
  const sample = ids.filter((_, i) => i % 50 === 0);
  await inParallel(sample, 50, async (invocationId) => {
    const { record } = await client.get({ invocationId });
    expect(record, invocationId).toEqual(records.get(invocationId));
  });

  const sizes = claimed.map((c) => c.got.length);
  console.info(
    `claim race: registered ${COUNT} in ${registered} ms; ${CLAIMERS} claimers took them in ${claiming} ms ` +
      `(per claimer ${Math.min(...sizes)}..${Math.max(...sizes)})`,
  );
});
