import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { readmeBlock } from "../helpers/readme.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { locateToolchain, run, skipWithoutToolchain, VENV_PYTHON } from "../helpers/toolchain.js";

/** Run a command that must succeed; its stdout. */
async function output(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const result = await run(file, args, { ...options, env: { ...process.env, ...options.env } });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const tools = locateToolchain();
const skip = skipWithoutToolchain(tools, "README client snippets (Python, Go)");

let server: TestServer;
let withAddress: (code: string) => string;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
  withAddress = (code) => code.replaceAll("127.0.0.1:50051", server.server.grpcAddress);
});
afterAll(() => server.close());

describe("the README's client snippets, run verbatim", () => {
  test.skipIf(skip)("Python", async () => {
    const dir = mkdtempSync(join(tmpdir(), "readme-python-"));
    writeFileSync(join(dir, "snippet.py"), withAddress(readmeBlock("python")));
    const out = await output(VENV_PYTHON, ["snippet.py"], {
      cwd: dir,
      env: { PYTHONPATH: join(REPO_ROOT, "gen/python") },
    });
    rmSync(dir, { recursive: true, force: true });
    expect(out).toContain("owner: runner-a revision: 2");
    expect(out).toContain("FAILED_PRECONDITION OWNERSHIP_VIOLATION runner-a");
  });

  test.skipIf(skip)(
    "Go, from another module with a replace directive",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "readme-go-"));
      writeFileSync(join(dir, "main.go"), withAddress(readmeBlock("go")));
      writeFileSync(
        join(dir, "go.mod"),
        `module example.com/readme\n\ngo 1.24.0\n\nrequire github.com/pynenc/pynenc-status/gen/go v0.0.0\n\n` +
          `replace github.com/pynenc/pynenc-status/gen/go => ${join(REPO_ROOT, "gen/go")}\n`,
      );
      await output(tools.go, ["mod", "tidy"], { cwd: dir });
      const out = await output(tools.go, ["run", "."], { cwd: dir });
      rmSync(dir, { recursive: true, force: true });
      expect(out).toContain("registered at revision");
      expect(out).toMatch(/FailedPrecondition INVALID_TRANSITION INVOCATION_STATUS_PENDING,/);
    },
    180_000,
  );

  test("TypeScript", async () => {
    // Beside the repository's own node_modules, so its imports resolve as a user's would.
    const dir = join(REPO_ROOT, ".tools", "readme-typescript");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "snippet.mts"),
      withAddress(readmeBlock("typescript")).replaceAll('"./gen/', '"../../gen/'),
    );
    const out = await output(process.execPath, ["--import", "tsx", "snippet.mts"], { cwd: dir });
    expect(out).toMatch(/change 1n REGISTERED|change \d+n REGISTERED/);
    expect(out).toContain("NotFound INVOCATION_NOT_FOUND");
  });
});
