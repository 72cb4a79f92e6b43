import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";

const available = redisServerAvailable();

function clientFor(address: string) {
  return createClient(StatusService, createGrpcTransport({ baseUrl: `http://${address}` }));
}

describe.runIf(available)("durability of the Redis store (appendonly yes, appendfsync always)", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer("always");
    server = await startServerProcess(["--store", redis.url()]);
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  test("every transition acknowledged before Redis is killed with kill -9 is in its history after the restart", async () => {
    const client = clientFor(server.grpcAddress);
    const acknowledged: Array<{ id: string; status: S; revision: bigint }> = [];
    let stop = false;
    // 16 runners take invocations through their lifecycle until Redis dies under them.
    const steps = [[S.REGISTERED], [S.PENDING, "r"], [S.RUNNING, "r"], [S.SUCCESS, "r"]] as const;
    const runners = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        for (const [status, runnerId] of steps) {
          const invocationId = `w${w}-${i}`;
          const answer = await client.transition({ invocationId, status, runnerId }).catch(() => undefined);
          // Redis is gone: the server answers with an error, never with a change.
          if (answer === undefined) return;
          acknowledged.push({ id: invocationId, status, revision: answer.record!.revision });
        }
      }
    });
    while (acknowledged.length < 1_000) await new Promise((r) => setTimeout(r, 20));
    await redis.kill();
    stop = true;
    await redis.restart();
    // A call whose change Redis had committed before it died may only be answered now, once the
    // server's stream reader has reconnected and published it: that answer is an acknowledgement too.
    await Promise.all(runners);

    // A server started after the restart reads everything back from Redis.
    const fresh = await startServerProcess(["--store", redis.url()]);
    try {
      const after = clientFor(fresh.grpcAddress);
      const histories = new Map<string, Map<bigint, S>>();
      for (const id of new Set(acknowledged.map((a) => a.id))) {
        const { entries } = await after.getHistory({ invocationId: id });
        histories.set(id, new Map(entries.map((e) => [e.record!.revision, e.record!.status])));
      }
      for (const { id, status, revision } of acknowledged)
        expect(histories.get(id)?.get(revision), `${id} r${revision}`).toBe(status);
      // Revisions go on from the last one given, on the fresh server and on the one that saw Redis die.
      // biome-ignore lint/complexity/useMathMinMax: revisions are bigints, which Math.max does not take
      const last = acknowledged.reduce((max, a) => (a.revision > max ? a.revision : max), 0n);
      const next = await after.transition({ invocationId: "after-restart", status: S.REGISTERED });
      expect(next.record!.revision).toBeGreaterThan(last);
      const again = await client.transition({ invocationId: "after-restart", status: S.PENDING, runnerId: "r" });
      expect(again.record!.revision).toBe(next.record!.revision + 1n);
    } finally {
      expect(await fresh.stop()).toBe(0);
    }
  });
});
