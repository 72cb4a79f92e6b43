import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startServerProcess } from "../helpers/server-process.js";
import { expectRpcError } from "./rpc-errors.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-retention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) * 1024;
}

interface LiveHeap {
  readonly objects: number;
  readonly bytes: number;
}

/** The parts of a `.heapsnapshot` file that liveHeap reads. */
interface HeapSnapshotFile {
  readonly snapshot: { readonly meta: { readonly node_fields: string[] }; readonly node_count: number };
  readonly nodes: number[];
}

/**
 * What the server's JavaScript heap holds after a full collection: node writes a heap snapshot on
 * SIGUSR2 (it collects garbage first), and we count its objects and their sizes. Unlike RSS, this
 * does not move with the collector's mood, so growth here is memory the server really keeps.
 */
async function liveHeap(pid: number, snapshotDir: string): Promise<LiveHeap> {
  const before = new Set(readdirSync(snapshotDir));
  process.kill(pid, "SIGUSR2");
  for (let attempt = 0; attempt < 600; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    const written = readdirSync(snapshotDir).find((name) => name.endsWith(".heapsnapshot") && !before.has(name));
    if (written === undefined) continue;
    let snapshot: HeapSnapshotFile;
    try {
      snapshot = JSON.parse(readFileSync(join(snapshotDir, written), "utf8"));
    } catch {
      continue; // still being written
    }
    const fields = snapshot.snapshot.meta.node_fields;
    const nodes = snapshot.nodes;
    const sizeAt = fields.indexOf("self_size");
    let bytes = 0;
    for (let i = sizeAt; i < nodes.length; i += fields.length) bytes += nodes[i]!;
    rmSync(join(snapshotDir, written));
    return { objects: snapshot.snapshot.node_count, bytes };
  }
  throw new Error("the server wrote no heap snapshot within 60 s");
}

function fileBytes(path: string): number {
  return [path, `${path}-wal`].reduce((sum, p) => sum + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
}

describe("retention keeps memory and disk flat over a long run", () => {
  test("with changes and final invocations dropped as they age, a second round of work does not grow the store", async () => {
    const db = join(dir, "flat.db");
    const snapshots = mkdtempSync(join(dir, "heap-"));
    const server = await startServerProcess(
      [
        "--store",
        `sqlite:${db}`,
        "--retain-changes",
        "500",
        "--purge-final-after",
        "1s",
        "--recovery-interval-seconds",
        "0.2",
      ],
      { nodeFlags: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`] },
    );
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const round = async (name: string) => {
      await Promise.all(
        Array.from({ length: 16 }, async (_, slot) => {
          for (let i = 0; i < 120; i++) {
            const invocationId = `${name}-${slot}-${i}`;
            await client.transition({ invocationId, status: S.REGISTERED });
            await client.transition({ invocationId, status: S.PENDING, runnerId: "r" });
            await client.transition({ invocationId, status: S.RUNNING, runnerId: "r" });
            await client.transition({ invocationId, status: S.SUCCESS, runnerId: "r" });
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1_800)); // past --purge-final-after, several passes
      const heap = await liveHeap(server.child.pid!, snapshots);
      return { disk: fileBytes(db), rss: residentBytes(server.child.pid!), ...heap };
    };
    const warmup = await round("warmup");
    const first = await round("first");
    const second = await round("second");
    // Every invocation of the earlier rounds is forgotten; the log holds only the last 500 changes.
    await expectRpcError(client.get({ invocationId: "first-0-0" }), Code.NotFound, "INVOCATION_NOT_FOUND");
    const revision = (await client.listAvailableForRun({})).revision;
    expect(revision).toBe(BigInt(3 * 16 * 120 * 4));
    await expectRpcError(
      (async () => {
        for await (const _ of client.watchStatus({ startRevision: revision - 600n })) return;
      })(),
      Code.OutOfRange,
      "REVISION_COMPACTED",
    );
    expect(second.disk, `disk after rounds: ${warmup.disk} ${first.disk} ${second.disk}`).toBeLessThanOrEqual(
      first.disk * 1.25,
    );
    const rounds = [warmup, first, second]
      .map((r) => `${r.objects} objects, ${r.bytes} B live, ${r.rss} B RSS`)
      .join("; ");
    console.log(`retention: ${rounds}`);
    expect(second.objects, rounds).toBeLessThanOrEqual(first.objects * 1.02);
    expect(second.bytes, rounds).toBeLessThanOrEqual(first.bytes * 1.02);
    expect(await server.stop()).toBe(0);
  }, 240_000); // 35 s alone; a loaded CI machine (pynenc's suites run beside it) needs more
});
