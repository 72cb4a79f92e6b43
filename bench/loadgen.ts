import { execFile, execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The result of one measured run. */
export interface LoadResult {
  readonly calls: number;
  /** Invocations registered or claimed (register and claim runs). */
  readonly items?: number;
  readonly seconds: number;
  readonly serverCpuSeconds: number;
  readonly errors: number;
  /** Latency of the calls (list: of each page; snapshot: of each whole snapshot), in ms. */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
}

const REPO = fileURLToPath(new URL("..", import.meta.url));
// Per bench process: .tools/bin is shared by every checkout of the machine, and another
// checkout's bench may build its own load generator there at the same moment.
const BINARY = join(tmpdir(), `pynenc-status-loadgen-${process.pid}`);

/** Build the Go load generator (bench/loadgen) into a file of this bench run. */
export function buildLoadgen(): void {
  execFileSync("go", ["build", "-o", BINARY, "."], { cwd: `${REPO}bench/loadgen`, stdio: "inherit" });
  process.once("exit", () => rmSync(BINARY, { force: true }));
}

/** Options of one load generator run. */
export interface LoadgenRun {
  /** The server's gRPC address; several, comma-separated, share the calls. */
  readonly target: string;
  readonly method: "noop" | "transition" | "register" | "claim" | "get" | "list" | "snapshot";
  /** max_count of each ClaimAvailable. */
  readonly batch?: number;
  readonly inFlight: number;
  readonly seconds: number;
  /** Invocation id prefix (get: the id to read). */
  readonly prefix: string;
  /** TLS: the CA file that signed the server's certificate. */
  readonly tlsCa?: string;
  /** Sent as `authorization: Bearer TOKEN` on every call. */
  readonly token?: string;
}

/** Run the Go load generator once (on one core) while measuring the server's CPU (summed over replicas). */
export async function runLoadgen(serverPids: number | readonly number[], run: LoadgenRun): Promise<LoadResult> {
  const pids = typeof serverPids === "number" ? [serverPids] : serverPids;
  const serverCpu = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const cpuBefore = serverCpu();
  const { stdout } = await promisify(execFile)(
    BINARY,
    [
      "-target",
      run.target,
      "-method",
      run.method,
      "-in-flight",
      String(run.inFlight),
      "-duration",
      `${run.seconds}s`,
      "-prefix",
      run.prefix,
      "-batch",
      String(run.batch ?? 10),
      ...(run.tlsCa === undefined ? [] : ["-tls-ca", run.tlsCa]),
      ...(run.token === undefined ? [] : ["-token", run.token]),
    ],
    // One core for the load, the other for the server.
    { env: { ...process.env, GOMAXPROCS: "1" } },
  );
  const serverCpuSeconds = serverCpu() - cpuBefore;
  const { calls, items, errors, seconds, p50Ms, p99Ms, maxMs } = JSON.parse(stdout) as LoadResult;
  return { calls, items, errors, seconds, serverCpuSeconds, p50Ms, p99Ms, maxMs };
}

/** Add up runs of one case. */
export function sumResults(results: LoadResult[]): LoadResult {
  return results.reduce((a, b) => ({
    calls: a.calls + b.calls,
    errors: a.errors + b.errors,
    seconds: a.seconds + b.seconds,
    serverCpuSeconds: a.serverCpuSeconds + b.serverCpuSeconds,
  }));
}
