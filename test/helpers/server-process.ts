import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A `pynenc-status serve` child process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  /** Everything it wrote to stderr (its JSON log). */
  readonly log: () => string;
  /** Resolves with its exit code once it exits, by itself or stopped. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, and wait. */
  kill(): Promise<void>;
}

/** How to start the child beyond its `serve` flags. */
export interface ServerProcessOptions {
  /** Flags for node itself, before the script (e.g. `--heapsnapshot-signal=SIGUSR2`). */
  readonly nodeFlags?: string[];
  readonly timeoutMs?: number;
  /** Run the compiled `bin/pynenc-status.js` (dist/, from `npm run build`) instead of the sources through tsx. */
  readonly compiled?: boolean;
  /** Run this executable (an installed `pynenc-status`) instead of node; nodeFlags and compiled do not apply. */
  readonly executable?: string;
  /** The working directory (default: the repository root). */
  readonly cwd?: string;
  /** A command that runs node for it (node and its arguments follow), e.g. to set up a mount namespace. */
  readonly launcher?: readonly string[];
}

/** Start `pynenc-status serve` with these extra flags and wait until both ports accept calls. */
export async function startServerProcess(flags: string[], options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const { nodeFlags = [], timeoutMs = 20_000, compiled = false, executable, cwd = REPO_ROOT, launcher = [] } = options;
  const entry = compiled ? ["bin/pynenc-status.js"] : ["--import", "tsx", "src/cli/main.ts"];
  const [command, ...launcherArgs] = [...launcher, process.execPath];
  const child = spawn(
    executable ?? command!,
    // Recovery is off unless a test asks for it (a later flag wins), so slow machines do not trip it.
    [
      ...(executable === undefined ? [...launcherArgs, ...nodeFlags, ...entry] : []),
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--http-listen",
      "127.0.0.1:0",
      "--max-pending-seconds",
      "3600",
      "--runner-dead-after-seconds",
      "3600",
      ...flags,
    ],
    { cwd, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const addresses: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), timeoutMs);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    lines.on("line", (line) => {
      const match = /^listening on (.+)$/.exec(line);
      if (match) addresses.push(match[1]!);
      if (addresses.length === 2) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    grpcAddress: addresses[0]!,
    httpAddress: addresses[1]!,
    log: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** A port that was free a moment ago, so a restarted server can listen on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
