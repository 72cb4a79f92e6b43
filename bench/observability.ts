import { fork } from "node:child_process";
import * as http from "node:http";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InvocationStatus, StatusService } from "../gen/ts/pynenc/status/v1/status_pb.js";
import { startServerProcess } from "../test/helpers/server-process.js";
import { type LoadResult, processCpuSeconds, runLoadgen, sumResults } from "./loadgen.js";

const INVOCATIONS = 100_000;
const SCRAPES = 200;
const COUNT_WATCHERS = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Register `count` invocations in batches of 1,000 (two namespaces, ten tasks). */
async function fill(grpcAddress: string, count: number): Promise<void> {
  const client = createClient(StatusService, createGrpcTransport({ baseUrl: `http://${grpcAddress}` }));
  for (let start = 0; start < count; start += 1_000) {
    const requests = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => ({
      namespace: (start + i) % 10 === 0 ? "other" : "",
      invocationId: `fill-${start + i}`,
      status: InvocationStatus.REGISTERED,
      taskId: `task-${(start + i) % 10}`,
    }));
    await client.batchTransition({ requests });
  }
}

/**
 * What a scrape of /metrics costs with 100,000 invocations stored: time to the whole answer, one
 * scrape after another, and the server's CPU per scrape. The per-status gauge is read from the
 * counts the store keeps, so the cost does not grow with the invocations.
 */
export async function benchScrape(dir: string): Promise<void> {
  console.log(
    `\n### GET /metrics with ${INVOCATIONS.toLocaleString("en")} invocations stored (${SCRAPES} scrapes, one at a time)\n`,
  );
  console.log("| store | scrape p50 (ms) | p99 (ms) | max (ms) | server CPU per scrape (ms) | response (KiB) |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, store] of [
    ["memory", "memory"],
    ["sqlite", `sqlite:${join(dir, "scrape.db")}`],
  ] as const) {
    const server = await startServerProcess(["--store", store, "--log-level", "warn"]);
    try {
      await fill(server.grpcAddress, INVOCATIONS);
      // A scraper's kept-alive connection, as Prometheus keeps one.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const scrape = () =>
        new Promise<string>((resolve, reject) => {
          http
            .get(`http://${server.httpAddress}/metrics`, { agent }, (response) => {
              let body = "";
              response.setEncoding("utf8");
              response.on("data", (chunk: string) => (body += chunk));
              response.on("end", () => resolve(body));
            })
            .on("error", reject);
        });
      for (let i = 0; i < 20; i++) await scrape();
      const times: number[] = [];
      let bytes = 0;
      const cpuBefore = processCpuSeconds(server.child.pid!);
      for (let i = 0; i < SCRAPES; i++) {
        const started = performance.now();
        const text = await scrape();
        times.push(performance.now() - started);
        bytes = text.length;
        if (!text.includes('pynenc_status_invocations{namespace="other",status="registered"} 10000')) {
          throw new Error("the scrape does not show the invocations stored");
        }
      }
      const cpuMs = ((processCpuSeconds(server.child.pid!) - cpuBefore) / SCRAPES) * 1000;
      times.sort((a, b) => a - b);
      agent.destroy();
      console.log(
        `| ${name} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 99).toFixed(2)} | ${times.at(-1)!.toFixed(2)} | ${cpuMs.toFixed(2)} | ${(bytes / 1024).toFixed(1)} |`,
      );
    } finally {
      await server.stop();
    }
  }
}

/**
 * What 50 open overview pages (50 WatchCounts streams) cost the Transition path: server CPU per
 * Transition with the streams open against without them, in alternating slices on one server.
 */
export async function benchCountWatchers(dir: string, seconds: number, rounds: number): Promise<void> {
  const server = await startServerProcess(["--store", `sqlite:${join(dir, "counts.db")}`, "--log-level", "warn"]);
  const pid = server.child.pid!;
  const target = server.grpcAddress;
  console.log(`\n### ${COUNT_WATCHERS} WatchCounts streams open (SQLite, Transition at 16 in flight)\n`);
  console.log("| case | Transitions/s | server CPU µs/Transition | vs no stream | count updates sent |");
  console.log("|---|---|---|---|---|");
  try {
    await runLoadgen(pid, { target, method: "transition", inFlight: 16, seconds: 1, prefix: "warm" });
    const without: LoadResult[] = [];
    const withStreams: LoadResult[] = [];
    let updates = 0;
    for (let round = 0; round < rounds; round++) {
      const slice = (prefix: string) =>
        runLoadgen(pid, { target, method: "transition", inFlight: 16, seconds: seconds / rounds, prefix });
      without.push(await slice(`a${round}`));
      const watchers = fork(new URL("./count-watchers.ts", import.meta.url), [target, String(COUNT_WATCHERS)], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      await new Promise<void>((resolve) => watchers.once("message", () => resolve()));
      withStreams.push(await slice(`b${round}`));
      watchers.send("stop");
      updates += await new Promise<number>((resolve) =>
        watchers.once("message", (m) => resolve((m as { updates: number }).updates)),
      );
      await new Promise((resolve) => watchers.once("exit", resolve));
    }
    const base = sumResults(without);
    const loaded = sumResults(withStreams);
    const micros = (r: LoadResult) => (r.serverCpuSeconds / r.calls) * 1e6;
    console.log(`| no stream | ${(base.calls / base.seconds).toFixed(0)} | ${micros(base).toFixed(1)} | 1.00x | 0 |`);
    console.log(
      `| ${COUNT_WATCHERS} WatchCounts streams | ${(loaded.calls / loaded.seconds).toFixed(0)} | ${micros(loaded).toFixed(1)} | ${(micros(loaded) / micros(base)).toFixed(2)}x | ${updates} |`,
    );
  } finally {
    await server.stop();
  }
}
