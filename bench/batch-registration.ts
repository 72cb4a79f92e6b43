import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InvocationStatus, StatusService } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { startRedisServer } from "../test/helpers/redis-server.js";
import { startServerProcess } from "../test/helpers/server-process.js";
import { processCpuSeconds } from "./loadgen.js";

const INVOCATIONS = 1_000;
const ROUNDS = 5;

/** One way of registering INVOCATIONS new invocations. */
interface Way {
  readonly name: string;
  register(ids: string[]): Promise<void>;
}

interface Measured {
  readonly wallMs: number[];
  readonly serverCpuMs: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Send `ids` as single Transitions, `inFlight` at a time, as a client without batches would. */
async function singles(transition: (id: string) => Promise<unknown>, ids: string[], inFlight: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < ids.length) await transition(ids[next++]!);
    }),
  );
}

/**
 * Registering 1,000 invocations, as pynenc's `parallelize` does: one BatchTransition against 1,000
 * single Transitions (one at a time, and 64 in flight), on one server process per store, through
 * the generated client over gRPC. The ways alternate for ROUNDS rounds on fresh ids; the table
 * gives the median wall time and server CPU of each, and how many times faster the batch is.
 */
export async function benchBatchRegistration(dir: string): Promise<void> {
  console.log(
    `\n### Registering ${INVOCATIONS.toLocaleString("en")} invocations: BatchTransition against single Transitions\n`,
  );
  console.log(
    "| store | way | wall ms (median) | server CPU ms (median) | batch faster (wall) | batch cheaper (CPU) |",
  );
  console.log("|---|---|---|---|---|---|");
  const redis = await startRedisServer("everysec");
  try {
    for (const [name, store] of [
      ["memory", "memory"],
      ["SQLite (normal)", `sqlite:${join(dir, "batch.db")}`],
      ["Redis (appendfsync everysec)", redis.url()],
    ] as const) {
      await benchStore(name, store);
    }
  } finally {
    await redis.stop();
  }
}

async function benchStore(name: string, store: string): Promise<void> {
  const server = await startServerProcess(["--store", store, "--log-level", "warn"]);
  const pid = server.child.pid!;
  try {
    const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${server.grpcAddress}` }));
    const request = (id: string) => ({ invocationId: id, status: InvocationStatus.REGISTERED, taskId: "bench.task" });
    const transition = (id: string) => client.transition(request(id));
    const ways: Way[] = [
      {
        name: "1 BatchTransition of 1,000",
        register: (ids) => client.batchTransition({ requests: ids.map(request) }).then(),
      },
      { name: "1,000 Transitions, 1 in flight", register: (ids) => singles(transition, ids, 1) },
      { name: "1,000 Transitions, 64 in flight", register: (ids) => singles(transition, ids, 64) },
    ];
    const measured = new Map<string, Measured>(ways.map((w) => [w.name, { wallMs: [], serverCpuMs: [] }]));
    // One unmeasured round first: connections, JIT and the store's caches warm for every way.
    for (let round = -1; round < ROUNDS; round++) {
      for (const [w, way] of ways.entries()) {
        const ids = Array.from({ length: INVOCATIONS }, (_, i) => `batch-${round + 1}-${w}-${i}`);
        const cpuBefore = processCpuSeconds(pid);
        const started = performance.now();
        await way.register(ids);
        const wallMs = performance.now() - started;
        const cpuMs = (processCpuSeconds(pid) - cpuBefore) * 1000;
        if (round >= 0) {
          measured.get(way.name)!.wallMs.push(wallMs);
          measured.get(way.name)!.serverCpuMs.push(cpuMs);
        }
      }
    }
    const batch = measured.get(ways[0]!.name)!;
    for (const way of ways) {
      const m = measured.get(way.name)!;
      const vsWall = way === ways[0] ? "" : `${(median(m.wallMs) / median(batch.wallMs)).toFixed(1)}x`;
      const vsCpu =
        way === ways[0] ? "" : `${(median(m.serverCpuMs) / Math.max(median(batch.serverCpuMs), 10)).toFixed(1)}x`;
      console.log(
        `| ${name} | ${way.name} | ${median(m.wallMs).toFixed(1)} | ${median(m.serverCpuMs).toFixed(0)} | ${vsWall} | ${vsCpu} |`,
      );
    }
  } finally {
    await server.stop();
  }
}
