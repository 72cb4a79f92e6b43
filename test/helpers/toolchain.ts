import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./server-process.js";

/** The Python of `.tools/venv` (grpcio, grpcio-status, pytest), made by scripts/install-tools.sh. */
export const VENV_PYTHON = join(REPO_ROOT, ".tools", "venv", "bin", "python");

/** The pinned grpcurl that scripts/install-tools.sh installs. */
export const GRPCURL = join(REPO_ROOT, ".tools", "bin", "grpcurl");

/**
 * Whether a suite that needs the file `path` can run: in CI a missing tool fails the suite (nothing
 * may be skipped there); locally the suite is skipped with a loud warning saying how to get it.
 */
export function toolAvailable(path: string, what: string): boolean {
  if (existsSync(path)) return true;
  const message = `${what} is missing at ${path}; run \`bash scripts/install-tools.sh\` (npm test does).`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  return false;
}

/** The tools the Python and Go client tests need, and a description of each one that is missing. */
export interface Toolchain {
  readonly python: string;
  readonly go: string;
  readonly missing: string[];
}

/** Looks for the venv Python (with the modules the examples import) and for `go` on PATH. */
export function locateToolchain(): Toolchain {
  const missing: string[] = [];
  // Importing, not just finding the file: a half-made venv would fail later, less clearly.
  const python = spawnSync(VENV_PYTHON, ["-c", "import grpc, grpc_status, pytest"], { stdio: "ignore" });
  if (python.status !== 0) {
    missing.push(
      `the Python venv ${VENV_PYTHON} with grpcio, grpcio-status and pytest (bash scripts/install-tools.sh installs it)`,
    );
  }
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) {
    missing.push("`go` on PATH (install Go >= 1.24; bash scripts/install-tools.sh needs it too)");
  }
  return { python: VENV_PYTHON, go: "go", missing };
}

/**
 * The project's policy: locally, a suite whose tools are missing is skipped with a loud warning;
 * in CI (CI=true) nothing is skipped, so the suite runs and `assertToolchain` fails it.
 */
export function skipWithoutToolchain(tools: Toolchain, suite: string): boolean {
  if (tools.missing.length === 0 || process.env.CI === "true") return false;
  console.warn(
    `\n!!! SKIPPING "${suite}": missing ${tools.missing.join(" and ")}.\n` +
      `!!! (CI=true never skips: there a missing tool fails the suite.)\n`,
  );
  return true;
}

/** Throws (failing the suite) when a tool is missing; call it in beforeAll. */
export function assertToolchain(tools: Toolchain): void {
  if (tools.missing.length > 0) {
    throw new Error(`missing ${tools.missing.join(" and ")}; CI=true never skips`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output; a non-zero exit is a result, not a throw. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Builds the Go main package in `dir` into the binary `output` (run the binary, not `go run`). */
export async function goBuild(tools: Toolchain, dir: string, output: string): Promise<void> {
  const result = await run(tools.go, ["build", "-o", output, "."], { cwd: dir });
  if (result.code !== 0) throw new Error(`go build in ${dir} failed:\n${result.stderr}`);
}
