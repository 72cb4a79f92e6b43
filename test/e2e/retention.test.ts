import { statSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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

function fileBytes(path: string): number {
  return [path, `${path}-wal`].reduce((sum, p) => sum + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
}

describe("retention keeps memory and disk flat over a long run", () => {
  test("with changes and final invocations dropped as they age, a second round of work does not grow the store", async () => {
    const db = join(dir, "flat.db");
    const server = await startServerProcess([
      "--store", `sqlite:${db}`, "--retain-changes", "500", "--purge-final-after", "1s", "--recovery-interval-seconds", "0.2",
    ]);
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
      return { disk: fileBytes(db), memory: residentBytes(server.child.pid!) };
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
    expect(second.disk, `disk after rounds: ${warmup.disk} ${first.disk} ${second.disk}`).toBeLessThanOrEqual(first.disk * 1.25);
    expect(second.memory, `memory after rounds: ${warmup.memory} ${first.memory} ${second.memory}`).toBeLessThanOrEqual(
      first.memory + 32 * 1024 * 1024,
    );
    expect(await server.stop()).toBe(0);
  });
});
