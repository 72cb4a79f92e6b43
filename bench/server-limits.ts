import type { ClientHttp2Session } from "node:http2";
import { loadavg } from "node:os";
import { InvocationStatus as S } from "../src/core/index.js";
import { createSqliteStore } from "../src/store/index.js";
import { jsonLines } from "../test/helpers/child-processes.js";
import { connectHttp2, grpcFrameHeader, grpcHeaders } from "../test/helpers/http2-abuse.js";
import { type ServerProcess, startServerProcess } from "../test/helpers/server-process.js";
import { liveBytes, nextStats, type ServerStats, STATS_FLAGS } from "../test/helpers/server-stats.js";
import { type LoadResult, runLoadgen } from "./loadgen.js";

const KB = 1024;
const INVOCATIONS = Number(process.env.BENCH_INVOCATIONS ?? 300_000);
const LISTS = 20;

/** Open `count` HTTP/2 connections to the gRPC port, `parallel` at a time. */
async function openConnections(address: string, count: number, parallel = 50): Promise<ClientHttp2Session[]> {
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < count; i += parallel) {
    sessions.push(
      ...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => connectHttp2(address)))),
    );
  }
  return sessions;
}

/** Open `perSession` watches of every change on each session, reading what they get; resolves once each has its first progress mark. */
async function openWatches(sessions: ClientHttp2Session[], perSession: number): Promise<void> {
  const started: Array<Promise<void>> = [];
  for (const session of sessions) {
    for (let i = 0; i < perSession; i++) {
      const stream = session.request(grpcHeaders("WatchStatus"));
      stream.end(grpcFrameHeader(0));
      stream.on("error", () => {});
      started.push(new Promise((resolve) => stream.once("data", () => resolve())));
      stream.resume();
    }
  }
  await Promise.all(started);
}

/** Memory the server holds per idle connection and per watcher (heap and buffers, after a full GC). */
export async function benchFootprint(): Promise<void> {
  const CONNECTIONS = 1_000;
  const WATCH_SESSIONS = 5;
  const WATCHES_PER_SESSION = 1_000;
  const server = await startServerProcess(["--store", "memory", ...STATS_FLAGS.flags, "--max-watchers", "100000"], {
    nodeFlags: [...STATS_FLAGS.nodeFlags],
  });
  const measure = async () => {
    const stats = await nextStats(server, 30_000);
    return { live: liveBytes(stats), rss: stats.rss };
  };
  console.log("\n### memory per idle connection and per watcher (memory store; heap + buffers after a full GC)\n");
  console.log("| what | count | server memory added (KB each) | RSS added (KB each) |\n|---|---|---|---|");
  const idle = await measure();
  const connections = await openConnections(server.grpcAddress, CONNECTIONS);
  const connected = await measure();
  console.log(
    `| idle gRPC connection (HTTP/2, no call) | ${CONNECTIONS} | ${((connected.live - idle.live) / CONNECTIONS / KB).toFixed(1)} | ` +
      `${((connected.rss - idle.rss) / CONNECTIONS / KB).toFixed(1)} |`,
  );
  for (const session of connections) session.destroy();
  const sessions = await openConnections(server.grpcAddress, WATCH_SESSIONS);
  const before = await measure();
  await openWatches(sessions, WATCHES_PER_SESSION);
  const watching = await measure();
  const watchers = WATCH_SESSIONS * WATCHES_PER_SESSION;
  console.log(
    `| watcher (WatchStatus of every change, idle) | ${watchers} | ${((watching.live - before.live) / watchers / KB).toFixed(1)} | ` +
      `${((watching.rss - before.rss) / watchers / KB).toFixed(1)} |`,
  );
  for (const session of sessions) session.destroy();
  await server.stop();
}

/** The event-loop delay lines the server logged while `during` ran. */
async function eventLoopDuring<T>(
  server: ServerProcess,
  during: () => Promise<T>,
): Promise<{ result: T; stats: ServerStats[] }> {
  const seen = jsonLines(server.log()).length;
  const result = await during();
  const lines = jsonLines<ServerStats & { msg: string }>(server.log()).slice(seen);
  return { result, stats: lines.filter((l) => l.msg === "stats") };
}

function delayCells(stats: ServerStats[]): string {
  const p99s = stats.map((s) => s.eventLoopDelayMs.p99).sort((a, b) => a - b);
  const median = p99s[Math.floor(p99s.length / 2)] ?? 0;
  const worst = Math.max(0, ...p99s);
  const max = Math.max(0, ...stats.map((s) => s.eventLoopDelayMs.max));
  return `${median.toFixed(1)} | ${worst.toFixed(1)} | ${max.toFixed(1)}`;
}

const ms = (r: LoadResult) => `${r.p50Ms?.toFixed(2)} / ${r.p99Ms?.toFixed(2)} / ${r.maxMs?.toFixed(1)}`;

/** Fill a SQLite file with INVOCATIONS registrations through the store itself, in large groups. */
async function fillSqlite(path: string): Promise<void> {
  const store = createSqliteStore(path);
  for (let start = 0; start < INVOCATIONS; start += 10_000) {
    await Promise.all(
      Array.from({ length: Math.min(10_000, INVOCATIONS - start) }, (_, i) =>
        store.transition({
          namespace: "",
          invocationId: `fill-${start + i}`,
          status: S.REGISTERED,
          runnerId: null,
          taskId: "",
        }),
      ),
    );
  }
  await store.close();
}

/** Register INVOCATIONS through the server (the memory store lives in it); returns an id that exists. */
async function fillThroughServer(server: ServerProcess): Promise<string> {
  let registered = 0;
  while (registered < INVOCATIONS) {
    const r = await runLoadgen(server.child.pid!, {
      target: server.grpcAddress,
      method: "register",
      inFlight: 64,
      seconds: 5,
      prefix: `fill${registered}`,
    });
    registered += r.items ?? 0;
  }
  return "fill0-0-0";
}

/**
 * Get latency and the server's event-loop delay while 20 clients page through every invocation
 * available (ListAvailableForRun, 1,000 a page), then with Transitions too, then while clients read
 * include_initial snapshots of every record; on the memory and SQLite stores with INVOCATIONS stored.
 */
export async function benchEventLoop(store: "memory" | "sqlite", sqlitePath: string, seconds: number): Promise<void> {
  console.log(
    `\n### ${store} store: event-loop delay and Get latency under large lists, ${INVOCATIONS.toLocaleString("en")} invocations stored\n`,
  );
  console.log(
    "Event-loop delay from the server's own `stats` lines (perf_hooks, once a second): the median and " +
      "the worst of the per-second p99, and the largest single delay, in ms. Get, page and snapshot " +
      "latency from the Go load generator: p50 / p99 / max in ms. Server CPU per page (or per snapshot) " +
      `does not count time the machine gave to other processes. Load average at the start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(", ")}.\n`,
  );
  console.log(
    "| load | Get p50 / p99 / max | Transitions/s | list pages/s (page p50 / p99 / max; server CPU ms/page) | " +
      "snapshots (p50 / p99 / max; server CPU ms each) | event-loop p99 median | worst p99 | max |\n|---|---|---|---|---|---|---|---|",
  );
  if (store === "sqlite") await fillSqlite(sqlitePath);
  const server = await startServerProcess([
    "--store",
    store === "sqlite" ? `sqlite:${sqlitePath}` : "memory",
    "--log-level",
    "debug",
    "--stats-interval-seconds",
    "1",
  ]);
  const pid = server.child.pid!;
  const target = server.grpcAddress;
  const known = store === "sqlite" ? `fill-${Math.floor(INVOCATIONS / 2)}` : await fillThroughServer(server);
  const gets = () => runLoadgen(pid, { target, method: "get", inFlight: 1, seconds, prefix: known });
  const lists = () => runLoadgen(pid, { target, method: "list", inFlight: LISTS, seconds, prefix: "list" });
  const row = (
    load: string,
    get: LoadResult,
    stats: ServerStats[],
    other: { transitions?: LoadResult; list?: LoadResult; snapshots?: LoadResult } = {},
  ) => {
    const { transitions, list, snapshots } = other;
    const perSecond = transitions ? (transitions.calls / transitions.seconds).toFixed(0) : "";
    const cpuMs = (r: LoadResult, count: number) => ((r.serverCpuSeconds * 1000) / Math.max(count, 1)).toFixed(1);
    const pages = list
      ? `${(list.items! / 1000 / list.seconds).toFixed(1)} (${ms(list)}; ${cpuMs(list, list.items! / 1000)})`
      : "";
    const snaps = snapshots ? `${snapshots.calls} (${ms(snapshots)}; ${cpuMs(snapshots, snapshots.calls)})` : "";
    console.log(`| ${load} | ${ms(get)} | ${perSecond} | ${pages} | ${snaps} | ${delayCells(stats)} |`);
  };

  const quiet = await eventLoopDuring(server, gets);
  row("Get alone", quiet.result, quiet.stats);
  const listing = await eventLoopDuring(server, () => Promise.all([gets(), lists()]));
  row(`Get + ${LISTS} listing`, listing.result[0], listing.stats, { list: listing.result[1] });
  const mixed = await eventLoopDuring(server, () =>
    Promise.all([
      gets(),
      lists(),
      runLoadgen(pid, { target, method: "transition", inFlight: 16, seconds, prefix: "mix" }),
    ]),
  );
  row(`Get + ${LISTS} listing + Transitions (16 in flight)`, mixed.result[0], mixed.stats, {
    list: mixed.result[1],
    transitions: mixed.result[2],
  });
  const snapshots = await eventLoopDuring(server, () =>
    Promise.all([gets(), runLoadgen(pid, { target, method: "snapshot", inFlight: 4, seconds, prefix: "snap" })]),
  );
  row("Get + 4 include_initial snapshots", snapshots.result[0], snapshots.stats, { snapshots: snapshots.result[1] });
  await server.stop();
}
