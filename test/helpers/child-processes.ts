import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "./server-process.js";

/** A long-running child whose output is collected as it comes. */
export interface CollectedProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has closed its output. */
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** Start `command` from the repository root, adding it to `children` so the suite can kill it. */
export function startCollectedProcess(
  command: string,
  args: string[],
  children: ChildProcess[],
  env: NodeJS.ProcessEnv = process.env,
): CollectedProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** SIGKILL every child that is still running (a suite's teardown after a failure). */
export function killRunning(children: readonly ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Poll until `condition` holds; fail with `what()` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
  pollMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The complete JSON lines of an output so far (a read may end mid-line). */
export function jsonLines<T>(text: string): T[] {
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}
