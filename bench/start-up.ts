import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../test/helpers/server-process.js";

const RUNS = Number(process.env.BENCH_START_UP_RUNS ?? 7);
// How long a server sits idle after it listens before its RSS is read.
const IDLE_MS = 2_000;

/** The two ways the server has been started: what npm start runs now, and what it ran before. */
const STARTS = [
  { name: "compiled: `node dist/src/cli/main.js serve` (npm start, the bin)", args: ["dist/src/cli/main.js"] },
  {
    name: "tsx: `node --import tsx src/cli/main.ts serve` (npm run dev; npm start before)",
    args: ["--import", "tsx", "src/cli/main.ts"],
  },
];

/** Resident memory of a process, in MB, from /proc. */
function rssMegabytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

/** Start a server, time it to its second `listening on` line (both ports), let it idle, read its RSS, stop it. */
async function startOnce(args: string[], sqlitePath: string): Promise<{ ms: number; rssMb: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [...args, "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--store", `sqlite:${sqlitePath}`],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] },
  );
  const exited = once(child, "exit");
  let listening = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith("listening on ") && ++listening === 2) break;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await sleep(IDLE_MS);
  const rssMb = rssMegabytes(child.pid!);
  child.kill("SIGTERM");
  await exited;
  return { ms, rssMb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Start-up time to "listening" and idle RSS of the compiled start against the tsx one, on the
 * default SQLite store: RUNS starts of each, alternating, after one warm-up of each (tsx's
 * transform cache and the OS's file cache are warm for both, as on a second start).
 */
export async function benchStartUp(dir: string): Promise<void> {
  const samples = STARTS.map(() => ({ ms: [] as number[], rssMb: [] as number[] }));
  for (const [i, start] of STARTS.entries()) await startOnce(start.args, join(dir, `start-up-warm-${i}.db`));
  for (let run = 0; run < RUNS; run++) {
    for (const [i, start] of STARTS.entries()) {
      const { ms, rssMb } = await startOnce(start.args, join(dir, `start-up-${i}-${run}.db`));
      samples[i]!.ms.push(ms);
      samples[i]!.rssMb.push(rssMb);
    }
  }
  console.log(`\n### start-up (SQLite store; ${RUNS} starts each, alternating; RSS after ${IDLE_MS / 1000} s idle)\n`);
  console.log('| start | to "listening" on both ports, median (min-max) | idle RSS, median (min-max) |\n|---|---|---|');
  for (const [i, start] of STARTS.entries()) {
    const { ms, rssMb } = samples[i]!;
    console.log(
      `| ${start.name} | ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)}) | ` +
        `${median(rssMb).toFixed(0)} MB (${Math.min(...rssMb).toFixed(0)}-${Math.max(...rssMb).toFixed(0)}) |`,
    );
  }
}
