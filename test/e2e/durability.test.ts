import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { startServerProcess } from "../helpers/server-process.js";

const dir = mkdtempSync(join(tmpdir(), "pynenc-status-durability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clientFor(address: string) {
  return createClient(StatusService, createGrpcTransport({ baseUrl: `http://${address}` }));
}

describe("durability of the SQLite store (a real server process)", () => {
  test.each(["full", "normal"])(
    "--sqlite-synchronous %s: every transition acknowledged before kill -9 is there after a restart, and revisions go on",
    async (mode) => {
      const db = join(dir, `kill-${mode}.db`);
      const server = await startServerProcess(["--store", `sqlite:${db}`, "--sqlite-synchronous", mode]);
      const client = clientFor(server.grpcAddress);
      const acknowledged = new Map<string, { status: S; revision: bigint }>();
      let stop = false;
      // The connection dies under the calls: a broken transport, never a state machine error.
      const transportCodes = [Code.Unavailable, Code.Aborted, Code.Internal, Code.Unknown, Code.Canceled];
      const unexpected: ConnectError[] = [];
      // 16 writers move invocations through their lifecycle until the server dies under them.
      const writers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const id = `w${w}-${i}`;
          for (const [status, runnerId] of [
            [S.REGISTERED],
            [S.PENDING, "r"],
            [S.RUNNING, "r"],
            [S.SUCCESS, "r"],
          ] as const) {
            try {
              const { record } = await client.transition({ invocationId: id, status, runnerId });
              acknowledged.set(id, { status: record!.status, revision: record!.revision });
            } catch (error) {
              const connectError = ConnectError.from(error);
              if (!transportCodes.includes(connectError.code)) unexpected.push(connectError);
              return;
            }
          }
        }
      });
      while (acknowledged.size < 300) await new Promise((r) => setTimeout(r, 20));
      await server.kill();
      stop = true;
      await Promise.all(writers);
      expect(unexpected).toEqual([]);

      const restarted = await startServerProcess(["--store", `sqlite:${db}`]);
      const after = clientFor(restarted.grpcAddress);
      let maxRevision = 0n;
      for (const [id, expected] of acknowledged) {
        const { record } = await after.get({ invocationId: id });
        // Acknowledged means at least that far; a later unacknowledged step may also have landed.
        expect(record!.revision).toBeGreaterThanOrEqual(expected.revision);
        if (record!.revision === expected.revision) expect(record!.status).toBe(expected.status);
        const history = await after.getHistory({ invocationId: id });
        expect(history.entries.at(-1)?.record).toEqual(record);
        if (record!.revision > maxRevision) maxRevision = record!.revision;
      }
      const next = await after.transition({ invocationId: "after-restart", status: S.REGISTERED });
      expect(next.record!.revision).toBeGreaterThan(maxRevision);
      expect(await restarted.stop()).toBe(0);
    },
  );

  test("SIGTERM stops the server cleanly and a restart keeps everything", async () => {
    const db = join(dir, "term.db");
    const server = await startServerProcess(["--store", `sqlite:${db}`]);
    const client = clientFor(server.grpcAddress);
    await client.transition({ invocationId: "t1", status: S.REGISTERED, taskId: "task" });
    await client.transition({ invocationId: "t1", status: S.PENDING, runnerId: "r1" });
    expect(await server.stop()).toBe(0);
    expect(server.log()).toMatch(/"msg":"stopped"/);
    const restarted = await startServerProcess(["--store", `sqlite:${db}`]);
    const record = (await clientFor(restarted.grpcAddress).get({ invocationId: "t1" })).record!;
    expect(record).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2n, taskId: "task" });
    expect(await restarted.stop()).toBe(0);
  });
});
