import { fork, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startRedisServer } from "../test/helpers/redis-server.js";
import { REPO_ROOT, startServerProcess } from "../test/helpers/server-process.js";
import { makeTestCertificates } from "../test/helpers/test-certificates.js";
import { benchBatchRegistration } from "./batch-registration.js";
import {
  buildLoadgen,
  type LoadgenRun,
  type LoadResult,
  processCpuSeconds,
  runLoadgen,
  sumResults,
} from "./loadgen.js";
import { benchCountWatchers, benchScrape } from "./observability.js";
import { benchRecoveryScan } from "./recovery-scan.js";
import { benchEventLoop, benchFootprint } from "./server-limits.js";
import { benchStartUp } from "./start-up.js";

/**
 * `npm run bench [-- FILTER]`: start-up time and idle memory, compiled against tsx; server CPU per
 * call of Transition against a no-op call (the standard health Check) on the same server in the
 * same run (on Redis with 1, 2 and 3 replicas), 1,000 registrations in one BatchTransition against
 * single Transitions, watch fan-out figures, what the observability costs
 * (a /metrics scrape at 100k invocations, 50 open WatchCounts streams against the Transition path),
 * TLS and token auth against plaintext, memory per connection and per watcher, event-loop delay and
 * Get latency under large lists, and a pynenc app through the plugin against pynenc's built-in
 * SQLite (`npm run bench -- pynenc`). Only cases whose name contains FILTER run. BENCH_SECONDS sets the
 * measured time per case.
 */
const filter = process.argv[2] ?? "";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 9);
const ROUNDS = 6;
const IN_FLIGHT = [1, 16, 64];
const dir = mkdtempSync(join(tmpdir(), "pynenc-status-bench-"));

function cpuMicros(r: LoadResult): number {
  return (r.serverCpuSeconds / r.calls) * 1e6;
}

function row(name: string, r: LoadResult, baseline?: LoadResult): string {
  const ratio = baseline ? `${(cpuMicros(r) / cpuMicros(baseline)).toFixed(2)}x` : "1.00x";
  return `| ${name} | ${(r.calls / r.seconds).toFixed(0)} | ${cpuMicros(r).toFixed(1)} | ${ratio} | ${r.errors} |`;
}

/**
 * One table: `replicas` server processes with these flags, the load spread over them, server CPU
 * summed over them; with `redisPid`, Redis's own CPU per call too.
 */
async function benchStore(name: string, flags: string[], replicas = 1, redisPid?: number): Promise<void> {
  const servers = await Promise.all(
    Array.from({ length: replicas }, () => startServerProcess([...flags, "--log-level", "warn"])),
  );
  await benchAgainstNoop(
    name,
    servers.map((s) => s.child.pid!),
    servers.map((s) => s.grpcAddress).join(","),
    redisPid,
  );
  await Promise.all(servers.map((s) => s.stop()));
}

/** Start bench/codec-floor-server.ts serving one PART; resolves to its pid, address and stop. */
async function startCodecFloor(part: string): Promise<{ pid: number; target: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/codec-floor-server.ts", "0", part], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const target = /^listening on (.+)$/.exec(line)![1]!;
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  return { pid: child.pid!, target, stop };
}

/**
 * The codec floor (bench/codec-floor-server.ts): a Transition that checks and stores nothing, first
 * through the real gRPC port at every number in flight, then split into its parts at 16 in flight.
 */
async function benchCodecFloor(): Promise<void> {
  const adapter = await startCodecFloor("adapter");
  await benchAgainstNoop(
    "codec floor: a Transition that decodes and encodes but checks and stores nothing",
    [adapter.pid],
    adapter.target,
  );
  await adapter.stop();
  console.log("\n### codec floor by part (bare grpc-js method, 16 in flight)\n");
  console.log(TABLE_HEADER);
  const parts = {
    none: "pre-encoded answer, request not decoded",
    decode: "decode only",
    encode: "encode only",
    both: "decode + encode",
  };
  for (const [part, what] of Object.entries(parts)) {
    const server = await startCodecFloor(part);
    const { baseline, moved } = await measureAgainstNoop([server.pid], server.target, 16);
    console.log(row(`no-op (health Check), next to "${part}"`, baseline));
    console.log(row(`Transition, ${what}`, moved, baseline));
    await server.stop();
  }
}

const TABLE_HEADER = "| case | calls/s | server CPU µs/call | vs no-op | errors |\n|---|---|---|---|---|";

/**
 * Transition and the no-op at one number in flight, in alternating slices so drift on the machine
 * falls on both alike; with `redisPid`, Redis's own CPU for each.
 */
async function measureAgainstNoop(pids: number[], target: string, inFlight: number, redisPid?: number) {
  const noop: LoadResult[] = [];
  const transition: LoadResult[] = [];
  const redisCpu = { noop: 0, transition: 0 };
  const measure = async (kind: "noop" | "transition", run: LoadgenRun, into: LoadResult[]) => {
    const before = redisPid === undefined ? 0 : processCpuSeconds(redisPid);
    into.push(await runLoadgen(pids, run));
    if (redisPid !== undefined) redisCpu[kind] += processCpuSeconds(redisPid) - before;
  };
  // Warm up both paths (JIT, connections, SQLite pages).
  await runLoadgen(pids, { target, method: "noop", inFlight: 16, seconds: 1, prefix: "warm" });
  await runLoadgen(pids, { target, method: "transition", inFlight: 16, seconds: 1, prefix: `warm${inFlight}` });
  for (let round = 0; round < ROUNDS; round++) {
    const slice = { target, inFlight, seconds: SECONDS / ROUNDS };
    await measure("noop", { ...slice, method: "noop", prefix: "noop" }, noop);
    await measure("transition", { ...slice, method: "transition", prefix: `t${inFlight}-${round}` }, transition);
  }
  return { baseline: sumResults(noop), moved: sumResults(transition), redisCpu };
}

/** Transition against the no-op at each number of calls in flight, on servers already running. */
async function benchAgainstNoop(name: string, pids: number[], target: string, redisPid?: number): Promise<void> {
  console.log(`\n### ${name}\n`);
  console.log(
    redisPid === undefined ? TABLE_HEADER : `${TABLE_HEADER.replace("|\n", "| redis-server CPU µs/call |\n")}---|`,
  );
  for (const inFlight of IN_FLIGHT) {
    const { baseline, moved, redisCpu } = await measureAgainstNoop(pids, target, inFlight, redisPid);
    const redisCell = (kind: "noop" | "transition", r: LoadResult) =>
      redisPid === undefined ? "" : ` ${((redisCpu[kind] / r.calls) * 1e6).toFixed(1)} |`;
    console.log(row(`no-op (health Check), ${inFlight} in flight`, baseline) + redisCell("noop", baseline));
    console.log(row(`Transition, ${inFlight} in flight`, moved, baseline) + redisCell("transition", moved));
  }
}

/** Transition on Redis against the no-op, with 1, 2 and 3 replicas sharing one Redis. */
async function benchRedis(): Promise<void> {
  for (const fsync of ["everysec", "always"] as const) {
    const redis = await startRedisServer(fsync);
    try {
      for (const replicas of fsync === "everysec" ? [1, 2, 3] : [1]) {
        const flags = ["--store", redis.url(), "--redis-prefix", `bench-${replicas}`];
        const name = `Redis store (appendonly yes, appendfsync ${fsync}), ${replicas > 1 ? `${replicas} replicas, the load spread over them` : "1 replica"}`;
        await benchStore(name, flags, replicas, redis.pid());
      }
    } finally {
      await redis.stop();
    }
  }
}

async function benchClaims(): Promise<void> {
  console.log("\n### ClaimAvailable (SQLite, max_count 10, every runner claiming until nothing is left)\n");
  console.log(
    "| runners | invocations claimed/s | ClaimAvailable calls/s | server CPU µs/invocation | errors |\n|---|---|---|---|---|",
  );
  for (const runners of [1, 8, 32]) {
    const server = await startServerProcess([
      "--store",
      `sqlite:${join(dir, `claim-${runners}.db`)}`,
      "--log-level",
      "warn",
    ]);
    const pid = server.child.pid!;
    const registered = await runLoadgen(pid, {
      target: server.grpcAddress,
      method: "register",
      inFlight: 64,
      seconds: 3,
      prefix: "c",
    });
    const claims = await runLoadgen(pid, {
      target: server.grpcAddress,
      method: "claim",
      inFlight: runners,
      seconds: 60,
      prefix: "c",
    });
    if (claims.items !== registered.items) throw new Error(`claimed ${claims.items} of ${registered.items} registered`);
    console.log(
      `| ${runners} | ${(claims.items! / claims.seconds).toFixed(0)} | ${(claims.calls / claims.seconds).toFixed(0)} | ` +
        `${((claims.serverCpuSeconds / claims.items!) * 1e6).toFixed(1)} | ${claims.errors} |`,
    );
    await server.stop();
  }
}

/**
 * What TLS and authentication cost: Transition at 16 in flight on three memory-store servers
 * (plaintext, TLS, TLS with a bearer token checked on every call), in alternating slices.
 */
async function benchSecurity(): Promise<void> {
  const certDir = join(dir, "certs");
  mkdirSync(certDir);
  const certs = makeTestCertificates(certDir);
  const token = "bench-token-0123456789abcdef";
  const principals = join(dir, "principals.json");
  const principal = { name: "bench", roles: ["producer", "runner"], runner_ids: ["bench-runner"] };
  const tokenSha256 = createHash("sha256").update(token).digest("hex");
  writeFileSync(principals, JSON.stringify({ principals: [{ ...principal, token_sha256: tokenSha256 }] }));
  const tls = ["--tls-cert", certs.serverCertFile, "--tls-key", certs.serverKeyFile];
  const cases = [
    { name: "Transition, plaintext", flags: [] as string[], run: {} },
    { name: "Transition over TLS", flags: tls, run: { tlsCa: certs.caFile } },
    {
      name: "Transition over TLS with token auth",
      flags: [...tls, "--auth-principals", principals],
      run: { tlsCa: certs.caFile, token },
    },
  ];
  const servers = await Promise.all(
    cases.map((c) =>
      startServerProcess(["--store", "memory", "--log-level", "warn", ...c.flags], { timeoutMs: 60_000 }),
    ),
  );
  const inFlight = 16;
  const results: LoadResult[][] = cases.map(() => []);
  for (const [i, c] of cases.entries()) {
    const target = servers[i]!.grpcAddress;
    await runLoadgen(servers[i]!.child.pid!, {
      target,
      method: "transition",
      inFlight,
      seconds: 1,
      prefix: "warm",
      ...c.run,
    });
  }
  // Each round starts with another server, so whatever the machine does meanwhile falls on all alike.
  for (let round = 0; round < 2 * ROUNDS; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (round + k) % cases.length;
      const run = { target: servers[i]!.grpcAddress, method: "transition" as const, inFlight, ...cases[i]!.run };
      const seconds = SECONDS / (2 * ROUNDS);
      results[i]!.push(await runLoadgen(servers[i]!.child.pid!, { ...run, seconds, prefix: `s${round}` }));
    }
  }
  await Promise.all(servers.map((s) => s.stop()));
  const [plain, overTls, withAuth] = results.map(sumResults) as [LoadResult, LoadResult, LoadResult];
  console.log(`\n### TLS and authentication (memory store, Transition, ${inFlight} in flight)\n`);
  console.log("| case | calls/s | server CPU µs/call | ratio | errors |\n|---|---|---|---|---|");
  console.log(row("Transition, plaintext", plain));
  console.log(row("Transition over TLS ÷ plaintext", overTls, plain));
  console.log(row("Transition with token auth over TLS ÷ Transition over TLS without auth", withAuth, overTls));
}

/** Server CPU per change delivered to `count` raw WatchStatus watchers on every change. */
async function benchWatchFanOut(count: number): Promise<void> {
  const WATCHERS = count;
  const server = await startServerProcess([
    "--store",
    `sqlite:${join(dir, `fanout-${count}.db`)}`,
    "--log-level",
    "warn",
  ]);
  const pid = server.child.pid!;
  const watchers = fork(new URL("./watchers.ts", import.meta.url), [server.grpcAddress, String(WATCHERS)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve) => watchers.once("message", () => resolve()));
  const load = await runLoadgen(pid, {
    target: server.grpcAddress,
    method: "transition",
    inFlight: 64,
    seconds: SECONDS / 2,
    prefix: "fan",
  });
  const cpuBefore = processCpuSeconds(pid);
  watchers.send({ expected: load.calls });
  type Report = { complete: number; inOrder: boolean; resumes: number; drainMs: number };
  const report = await new Promise<Report>((resolve) => watchers.once("message", (m) => resolve(m as Report)));
  const drainCpu = processCpuSeconds(pid) - cpuBefore;
  const perSecond = load.calls / load.seconds;
  const deliveries = load.calls * WATCHERS;
  console.log(`\n### watch fan-out (SQLite, ${WATCHERS} watchers on every change, 64 Transitions in flight)\n`);
  console.log(
    "| Transitions/s | changes | watchers that got every change once, in order | resumes after WATCHER_TOO_SLOW | " +
      "catch-up after the load (s) | server CPU µs per delivered change | errors |",
  );
  console.log("|---|---|---|---|---|---|---|");
  console.log(
    `| ${perSecond.toFixed(0)} | ${load.calls} | ${report.complete}/${WATCHERS}${report.inOrder ? "" : " (ORDER BROKEN)"} | ` +
      `${report.resumes} | ${(report.drainMs / 1000).toFixed(1)} | ${(((load.serverCpuSeconds + drainCpu) / deliveries) * 1e6).toFixed(1)} | ${load.errors} |`,
  );
  await server.stop();
}

/**
 * A pynenc app through the plugin against the same app on pynenc's built-in SQLite: tasks finished
 * per second with a ProcessRunner, and pynenc's integration/combinations suite's wall time
 * (pynenc-status-orchestrator/bench/pynenc_bench.py, in the Python 3.12 venv of scripts/install-pynenc.sh).
 */
async function benchPynenc(): Promise<void> {
  const install = spawnSync("bash", ["scripts/install-pynenc.sh"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`scripts/install-pynenc.sh failed:\n${install.stderr}`);
  const python = install.stdout.trim().split("\n").at(-1)!;
  const child = spawn(python, ["pynenc-status-orchestrator/bench/pynenc_bench.py"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`the pynenc bench exited with ${code}`);
}

buildLoadgen();
console.log(`pynenc-status bench: ${SECONDS}s per case, node ${process.version}, ${new Date().toISOString()}`);
try {
  if ("start-up".includes(filter)) await benchStartUp(dir);
  if ("memory".includes(filter)) await benchStore("memory store", ["--store", "memory"]);
  if ("floor".includes(filter)) await benchCodecFloor();
  if ("sqlite".includes(filter)) {
    const sqlite = (mode: string) => [
      "--store",
      `sqlite:${join(dir, `bench-${mode}.db`)}`,
      "--sqlite-synchronous",
      mode,
    ];
    await benchStore("SQLite store, --sqlite-synchronous normal (default: answered once in the WAL)", sqlite("normal"));
    await benchStore("SQLite store, --sqlite-synchronous full (answered once on disk)", sqlite("full"));
  }
  if ("claim".includes(filter)) await benchClaims();
  if ("batch".includes(filter)) await benchBatchRegistration(dir);
  if ("recovery".includes(filter)) await benchRecoveryScan(join(dir, "recovery.db"));
  if ("watch".includes(filter)) {
    await benchWatchFanOut(100);
    await benchWatchFanOut(50);
  }
  if ("scrape".includes(filter)) await benchScrape(dir);
  if ("counts".includes(filter)) await benchCountWatchers(dir, SECONDS, ROUNDS);
  if ("tls auth".includes(filter)) await benchSecurity();
  if ("redis".includes(filter)) await benchRedis();
  if ("footprint".includes(filter)) await benchFootprint();
  for (const store of ["memory", "sqlite"] as const) {
    if (`event-loop-${store}`.includes(filter)) await benchEventLoop(store, join(dir, "event-loop.db"), SECONDS);
  }
  if ("pynenc".includes(filter)) await benchPynenc();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
