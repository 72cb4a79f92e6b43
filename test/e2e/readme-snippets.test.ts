import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { GO, VENV_PYTHON, toolAvailable } from "../helpers/tools.js";

/** The code of the README block marked `<!-- readme-test: NAME -->`. */
function readmeSnippet(name: string): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const match = new RegExp(`<!-- readme-test: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (match === null) throw new Error(`README has no block ${name}`);
  return match[1]!;
}

async function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const { stdout } = await promisify(execFile)(file, args, { ...options, env: { ...process.env, ...options.env } });
  return stdout;
}

let server: TestServer;
let withAddress: (code: string) => string;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
  withAddress = (code) => code.replaceAll("127.0.0.1:50051", server.server.grpcAddress);
});
afterAll(() => server.close());

describe("the README's client snippets, run verbatim", () => {
  test.runIf(toolAvailable(VENV_PYTHON, "the tools' Python virtualenv"))("Python", async () => {
    const dir = mkdtempSync(join(tmpdir(), "readme-python-"));
    writeFileSync(join(dir, "snippet.py"), withAddress(readmeSnippet("python")));
    const out = await run(VENV_PYTHON, ["snippet.py"], { cwd: dir, env: { PYTHONPATH: join(REPO_ROOT, "gen/python") } });
    rmSync(dir, { recursive: true, force: true });
    expect(out).toContain("owner: runner-a revision: 2");
    expect(out).toContain("FAILED_PRECONDITION OWNERSHIP_VIOLATION runner-a");
  });

  test.runIf(toolAvailable(GO, "go"))("Go, from another module with a replace directive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "readme-go-"));
    writeFileSync(join(dir, "main.go"), withAddress(readmeSnippet("go")));
    writeFileSync(
      join(dir, "go.mod"),
      `module example.com/readme\n\ngo 1.24.0\n\nrequire github.com/pynenc/pynenc-status/gen/go v0.0.0\n\n` +
        `replace github.com/pynenc/pynenc-status/gen/go => ${join(REPO_ROOT, "gen/go")}\n`,
    );
    await run(GO, ["mod", "tidy"], { cwd: dir });
    const out = await run(GO, ["run", "."], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
    expect(out).toContain("registered at revision");
    expect(out).toMatch(/FailedPrecondition INVALID_TRANSITION INVOCATION_STATUS_PENDING,/);
  }, 180_000);

  test("TypeScript", async () => {
    // Beside the repository's own node_modules, so its imports resolve as a user's would.
    const dir = join(REPO_ROOT, ".tools", "readme-typescript");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "snippet.mts"), withAddress(readmeSnippet("typescript")).replaceAll('"./gen/', '"../../gen/'));
    const out = await run(process.execPath, ["--import", "tsx", "snippet.mts"], { cwd: dir });
    expect(out).toMatch(/change 1n REGISTERED|change \d+n REGISTERED/);
    expect(out).toContain("NotFound INVOCATION_NOT_FOUND");
  });
});
