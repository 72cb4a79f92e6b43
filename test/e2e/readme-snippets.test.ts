import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { goEnvForProxy, writeGoModuleProxy } from "../helpers/go-module-proxy.js";
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
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

// A persistent store, as `npm start` keeps one: each snippet runs twice against it, as a new user
// trying it again would, and must not trip over what its first run left.
let dir: string;
let server: TestServer;
let withAddress: (code: string) => string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "readme-snippets-"));
  server = await startTestServer({ store: `sqlite:${join(dir, "pynenc-status.db")}` });
  withAddress = (code) => code.replaceAll("127.0.0.1:50051", server.server.grpcAddress);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the README's client snippets, run verbatim, twice each", () => {
  test.skipIf(skip)("Python", async () => {
    const work = join(dir, "python");
    mkdirSync(work);
    writeFileSync(join(work, "snippet.py"), withAddress(readmeBlock("python")));
    for (let i = 0; i < 2; i++) {
      const out = await output(VENV_PYTHON, ["snippet.py"], {
        cwd: work,
        env: { PYTHONPATH: join(REPO_ROOT, "gen/python"), PYTHONDONTWRITEBYTECODE: "1" },
      });
      expect(out).toMatch(/^owner: runner-a revision: \d+$/m);
      expect(out).toContain("FAILED_PRECONDITION OWNERSHIP_VIOLATION runner-a");
    }
  });

  test.skipIf(skip)(
    "Go, from the tagged module path (a file-based module proxy stands in for GitHub and proxy.golang.org)",
    async () => {
      const proxy = await writeGoModuleProxy(
        join(dir, "goproxy"),
        { path: "github.com/pynenc/pynenc-status/gen/go", version: `v${VERSION}`, dir: join(REPO_ROOT, "gen/go") },
        tools.python,
      );
      const env = await goEnvForProxy(proxy, dir);
      const app = join(dir, "go-app");
      mkdirSync(app);
      await output(tools.go, ["mod", "init", "example.com/readme"], { cwd: app, env });
      writeFileSync(join(app, "main.go"), withAddress(readmeBlock("go")));
      // The README's own commands: go get at the tag of this version, then go mod tidy.
      await output("bash", ["-euo", "pipefail", "-c", readmeBlock("go-get")], { cwd: app, env });
      const goMod = readFileSync(join(app, "go.mod"), "utf8");
      expect(goMod).toContain(`github.com/pynenc/pynenc-status/gen/go v${VERSION}`);
      expect(goMod).not.toContain("replace");
      await output(tools.go, ["build", "-o", "readme", "."], { cwd: app, env });
      for (let i = 0; i < 2; i++) {
        const out = await output(join(app, "readme"), [], { cwd: app });
        expect(out).toContain("registered at revision");
        expect(out).toMatch(/FailedPrecondition INVALID_TRANSITION INVOCATION_STATUS_PENDING,/);
      }
    },
    180_000,
  );

  test("TypeScript", async () => {
    // Beside the repository's own node_modules, so its imports resolve as a user's would.
    const work = join(REPO_ROOT, ".tools", "readme-typescript");
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, "snippet.mts"),
      withAddress(readmeBlock("typescript")).replaceAll('"./gen/', '"../../gen/'),
    );
    for (let i = 0; i < 2; i++) {
      const out = await output(process.execPath, ["--import", "tsx", "snippet.mts"], { cwd: work });
      expect(out).toMatch(/^change \d+n REGISTERED$/m);
      expect(out).toContain("NotFound INVOCATION_NOT_FOUND");
    }
  });
});
