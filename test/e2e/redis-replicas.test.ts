import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ClaimAvailableResponseSchema,
  ListAvailableForRunResponseSchema,
  InvocationStatus as S,
  TransitionResponseSchema,
  type WatchStatusRequestSchema,
  type WatchStatusResponse,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { createGrpcJsClient, type GrpcJsStatusClient, unary } from "../helpers/grpc-js-client.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.js";

/** One change as a watcher saw it. */
interface Seen {
  readonly revision: number;
  readonly invocationId: string;
  readonly status: S;
  readonly runnerId: string;
}

const INVOCATIONS = 5_000;
const WORKERS = 50;
const ABANDONED_BEFORE = 30;
const ABANDONED_AFTER = 20;
const REPLICA_FLAGS = [
  "--redis-prefix",
  "replicas",
  // Abandoned claims come back quickly; nobody's RUNNING is ever taken away during the test.
  "--max-pending-seconds",
  "2",
  "--runner-dead-after-seconds",
  "600",
  "--recovery-interval-seconds",
  "0.5",
];

const available = redisServerAvailable();

/** A replica's calls over grpc-js, the cheapest Node client: 50 workers and 3 watchers share 2 cores. */
function replicaClient(address: string) {
  const client: GrpcJsStatusClient = createGrpcJsClient(address);
  const rpc =
    <O extends DescMessage>(method: string, output: O) =>
    (request: MessageInitShape<DescMessage>): Promise<MessageShape<O>> =>
      unary(client, method, request, output);
  return {
    transition: rpc("transition", TransitionResponseSchema),
    claimAvailable: rpc("claimAvailable", ClaimAvailableResponseSchema),
    listAvailableForRun: rpc("listAvailableForRun", ListAvailableForRunResponseSchema),
    /**
     * Watch; resolves or rejects when the stream ends. `onEvent` returns false to end it (then the
     * stream ends with CANCELLED).
     */
    watch(
      request: MessageInitShape<typeof WatchStatusRequestSchema>,
      // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing keeps watching; only false ends it
      onEvent: (event: WatchStatusResponse) => boolean | void,
      signal: AbortSignal,
    ): Promise<void> {
      const stream = (client.watchStatus as (r: unknown) => grpc.ClientReadableStream<WatchStatusResponse>)(request);
      const cancel = () => stream.cancel();
      signal.addEventListener("abort", cancel);
      stream.on("data", (event: WatchStatusResponse) => {
        if (onEvent(event) === false) cancel();
      });
      return new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.on("end", resolve);
      }).finally(() => signal.removeEventListener("abort", cancel));
    },
    close: () => client.close(),
  };
}
type ReplicaClient = ReturnType<typeof replicaClient>;

const codeOf = (error: unknown) => (error as grpc.ServiceError).code;

describe.runIf(available)("three server replicas on one Redis", () => {
  let redis: RedisServer;
  let replicas: ServerProcess[];
  let clients: ReplicaClient[];
  const alive = [true, true, true];

  beforeAll(async () => {
    redis = await startRedisServer();
    replicas = await Promise.all([0, 1, 2].map(() => startServerProcess(["--store", redis.url(), ...REPLICA_FLAGS])));
    clients = replicas.map((r) => replicaClient(r.grpcAddress));
  });
  afterAll(async () => {
    for (const client of clients ?? []) client.close();
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await redis?.stop();
  });

  /** The replica `preferred` if it is alive, else the next live one. */
  function live(preferred: number): number {
    for (let i = 0; i < 3; i++) if (alive[(preferred + i) % 3]) return (preferred + i) % 3;
    throw new Error("no replica alive");
  }

  /**
   * A call through replica `at`; if that replica dies under it, the same request (with the same
   * request id, so it is applied at most once) goes to a live one.
   */
  async function call<T>(at: number, rpc: (client: ReplicaClient) => Promise<T>): Promise<T> {
    for (;;) {
      const replica = live(at);
      try {
        return await rpc(clients[replica]!);
      } catch (error) {
        if (alive[replica] && codeOf(error) !== grpc.status.UNAVAILABLE) throw error;
        at = replica + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Every change from revision 1 on, through one replica, resuming on another from last + 1. */
  async function watchAll(at: number, seen: Seen[], signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const replica = live(at);
      try {
        await clients[replica]!.watch(
          { startRevision: BigInt((seen.at(-1)?.revision ?? 0) + 1) },
          (event) => {
            if (event.event.case !== "change") return;
            const { record } = event.event.value;
            seen.push({
              revision: Number(record!.revision),
              invocationId: record!.invocationId,
              status: record!.status,
              runnerId: record!.runnerId ?? "",
            });
          },
          signal,
        );
      } catch {
        // The replica died (or this watcher fell behind): resume from the next revision.
        if (signal.aborted) return;
        at = replica + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Collects the include_initial snapshot into `records` and ends the watch at its progress mark. */
  function stopAfterSnapshot(records: Map<string, { status: S; revision: number }>) {
    return (event: WatchStatusResponse) => {
      if (event.event.case === "progress") return false;
      if (event.event.case === "change") {
        const { record } = event.event.value;
        records.set(record!.invocationId, { status: record!.status, revision: Number(record!.revision) });
      }
      return true;
    };
  }

  function recoveredLines(replica: ServerProcess): number[] {
    return replica
      .log()
      .split("\n")
      .filter((line) => line.includes('"msg":"recovered"'))
      .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
  }

  test("runners race for 5,000 invocations over three replicas, one killed with kill -9: none won twice, " +
    "every watcher sees the same changes in the same order, nothing acknowledged lost, recovery on one replica at a time", async () => {
    const stopWatching = new AbortController();
    const seen: Seen[][] = [[], [], []];
    const watchers = [0, 1, 2].map((i) => watchAll(i, seen[i]!, stopWatching.signal));

    // Every acknowledged transition: it must be in the log afterwards, exactly so.
    const acknowledged: Array<{ id: string; status: S; revision: bigint }> = [];
    const transition = async (at: number, id: string, status: S, runnerId?: string) => {
      const requestId = `${id}/${status}/${runnerId ?? ""}`;
      const { record } = await call(at, (c) => c.transition({ invocationId: id, status, runnerId, requestId }));
      acknowledged.push({ id, status, revision: record!.revision });
      return record!;
    };

    const ids = Array.from({ length: INVOCATIONS }, (_, i) => `inv-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        while (next < ids.length) await transition(w % 3, ids[next++]!, S.REGISTERED);
      }),
    );
    // A runner that claims and vanishes: recovery must give these back.
    const ghost = await call(0, (c) => c.claimAvailable({ runnerId: "ghost-before", maxCount: ABANDONED_BEFORE }));
    expect(ghost.records).toHaveLength(ABANDONED_BEFORE);

    const expected = new Set(ids);
    const done = new Set<string>();
    const winners = new Map<string, string>();
    const runIt = async (at: number, id: string, runner: string) => {
      try {
        await transition(at, id, S.RUNNING, runner);
      } catch (error) {
        // Recovery took it back first (it was PENDING for too long): it will be claimed again.
        if (codeOf(error) === grpc.status.FAILED_PRECONDITION) return;
        throw error;
      }
      expect(winners.get(id) ?? runner, `${id} won by ${winners.get(id)} and ${runner}`).toBe(runner);
      winners.set(id, runner);
      await transition(at, id, S.SUCCESS, runner);
      done.add(id);
    };
    const finished = () => [...expected].every((id) => done.has(id));

    // Half the workers race in pairs on the same ids with Transition(PENDING), against each
    // other and the other half, which (like the racers, once through the list) use ClaimAvailable.
    let failure: unknown;
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      const at = w % 3;
      const runner = `runner-${w}`;
      if (w % 2 === 0) {
        const start = Math.floor(w / 4) * Math.ceil(ids.length / Math.ceil(WORKERS / 4));
        for (let i = start; i < start + ids.length; i++) {
          const id = ids[i % ids.length]!;
          if (done.has(id) || winners.has(id)) continue;
          try {
            await transition(at, id, S.PENDING, runner);
          } catch (error) {
            if (codeOf(error) === grpc.status.FAILED_PRECONDITION) continue; // another runner won it
            throw error;
          }
          await runIt(at, id, runner);
        }
      }
      while (!finished()) {
        const { records } = await call(at, (c) => c.claimAvailable({ runnerId: runner, maxCount: 4 }));
        if (records.length === 0) await new Promise((r) => setTimeout(r, 50));
        for (const record of records) await runIt(at, record.invocationId, runner);
      }
    }).map((worker) =>
      worker.catch((error: unknown) => {
        failure ??= error;
      }),
    );

    // Mid-run, once recovery has run: kill -9 the replica that holds the recovery lease.
    const holder = await (async () => {
      for (;;) {
        if (failure !== undefined) throw failure;
        const holders = [0, 1, 2].filter((i) => recoveredLines(replicas[i]!).length > 0);
        if (done.size >= INVOCATIONS / 3 && holders.length > 0) return holders;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(holder, "recovery ran on exactly one replica").toHaveLength(1);
    const killed = holder[0]!;
    const late = Array.from({ length: ABANDONED_AFTER }, (_, i) => `late-${i}`);
    for (const id of late) expected.add(id);
    alive[killed] = false;
    const killedAt = Date.now();
    await replicas[killed]!.kill();
    expect(done.size, "the kill came mid-run").toBeLessThan(INVOCATIONS);

    // Abandoned after the kill: a surviving replica must take the lease over and recover them.
    for (const id of late) {
      await transition(live(killed + 1), id, S.REGISTERED);
      await transition(live(killed + 1), id, S.PENDING, "ghost-after");
    }

    await Promise.all(workers);
    if (failure !== undefined) throw failure;
    const final = (await call(live(0), (c) => c.listAvailableForRun({}))).revision;
    const deadline = Date.now() + 30_000;
    while (seen.some((s) => (s.at(-1)?.revision ?? 0) < Number(final)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stopWatching.abort();
    await Promise.all(watchers);

    // Every watcher, including the one whose replica died, saw every revision once, in order.
    const log = seen[0]!;
    expect(log.map((c) => c.revision)).toEqual(Array.from({ length: Number(final) }, (_, i) => i + 1));
    expect(seen[1]).toEqual(log);
    expect(seen[2]).toEqual(log);

    // No invocation was won twice: one RUNNING each, by the runner that finished it.
    const running = new Map<string, string[]>();
    const succeeded = new Map<string, string[]>();
    const recovered = new Set<string>();
    for (const change of log) {
      if (change.status === S.RUNNING)
        running.set(change.invocationId, [...(running.get(change.invocationId) ?? []), change.runnerId]);
      if (change.status === S.SUCCESS)
        succeeded.set(change.invocationId, [...(succeeded.get(change.invocationId) ?? []), change.runnerId]);
      if (change.status === S.PENDING_RECOVERY) recovered.add(change.invocationId);
    }
    for (const id of expected) {
      expect(running.get(id), id).toEqual([winners.get(id)]);
      expect(succeeded.get(id)?.length, id).toBe(1);
    }
    expect(running.size).toBe(expected.size);
    for (const id of [...ghost.records.map((r) => r.invocationId), ...late]) expect(recovered.has(id), id).toBe(true);

    // Nothing acknowledged was lost: each acknowledged change is in the log exactly as answered.
    const byRevision = new Map(log.map((c) => [c.revision, c]));
    for (const ack of acknowledged) {
      expect(byRevision.get(Number(ack.revision)), `${ack.id} ${ack.status}`).toMatchObject({
        invocationId: ack.id,
        status: ack.status,
      });
    }
    // And the records agree with the log: every invocation is SUCCESS at the revision that made it so.
    const current = new Map<string, { status: S; revision: number }>();
    await clients[live(0)]!.watch(
      { includeInitial: true },
      stopAfterSnapshot(current),
      new AbortController().signal,
    ).catch(() => {});
    expect(current.size).toBe(expected.size);
    for (const change of log)
      if (change.status === S.SUCCESS)
        expect(current.get(change.invocationId)).toEqual({ status: S.SUCCESS, revision: change.revision });

    // Recovery ran on one replica at a time: the killed holder before the kill, one survivor after.
    const before = [0, 1, 2].filter((i) => recoveredLines(replicas[i]!).some((t) => t < killedAt));
    const after = [0, 1, 2].filter((i) => recoveredLines(replicas[i]!).some((t) => t >= killedAt));
    expect(before).toEqual([killed]);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(killed);
  }, 120_000);
});
