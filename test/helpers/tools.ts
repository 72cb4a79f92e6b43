import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./server-process.js";

/** The pinned grpcurl that scripts/install-tools.sh installs. */
export const GRPCURL = join(REPO_ROOT, ".tools/bin/grpcurl");

/**
 * Whether a suite that needs `path` can run. In CI a missing tool fails the suite (nothing may be
 * skipped there); locally the suite is skipped with a loud warning saying how to install it.
 */
export function toolAvailable(path: string, what: string): boolean {
  if (existsSync(path)) return true;
  const message = `${what} is missing at ${path}; run \`bash scripts/install-tools.sh\` (npm test does).`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  return false;
}

/** The Python of the tools' virtualenv (grpcio, grpcio-status, pytest). */
export const VENV_PYTHON = join(REPO_ROOT, ".tools/venv/bin/python");

/** The Go toolchain on PATH, if any. */
export const GO = goOnPath();

function goOnPath(): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir !== "" && existsSync(join(dir, "go"))) return join(dir, "go");
  }
  return "go";
}
