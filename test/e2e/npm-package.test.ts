// The npm package as a user gets it: `npm pack`, then the tarball installed into an empty project
// (the `pynenc-status/client` entry, its types, a browser bundle) and globally (the command on
// PATH, running the README's command-line snippet), all in folders outside the repository.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jsonLines, waitUntil } from "../helpers/child-processes.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { README, readmeBlock } from "../helpers/readme.js";
import { REPO_ROOT, startServerProcess } from "../helpers/server-process.js";
import { run } from "../helpers/toolchain.js";

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const resolveFromRepo = createRequire(join(REPO_ROOT, "package.json")).resolve;

let dir: string;
let tarball: string;
let packed: string[];
/** An empty project with the tarball installed. */
let project: string;
/** The prefix of a global install (`npm install -g --prefix`): the command is in its bin/. */
let globalBin: string;
let server: TestServer;

async function succeed(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const result = await run(command, args, { ...options, timeoutMs: 180_000 });
  expect(result.code, `${command} ${args.join(" ")}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

/**
 * better-sqlite3's install script downloads a prebuilt binary from GitHub, which this machine
 * cannot reach, and then compiles SQLite (minutes). prebuild-install also looks in a local folder
 * first; this one holds the binary the repository's own install built, under the release's name.
 */
async function localBetterSqlitePrebuild(into: string): Promise<NodeJS.ProcessEnv> {
  const pkg = join(REPO_ROOT, "node_modules/better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string };
  mkdirSync(into);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await succeed("tar", ["czf", join(into, name), "-C", pkg, "build/Release/better_sqlite3.node"], { cwd: into });
  return { ...process.env, npm_config_better_sqlite3_local_prebuilds: into };
}

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, "dist/src/cli/main.js"))) {
    throw new Error("dist/ is missing: run npm run build (npm install and npm test do)");
  }
  dir = mkdtempSync(join(tmpdir(), "pynenc-status-npm-"));
  // scripts/test.sh has just built dist/; --ignore-scripts skips prepare's second build.
  const [pack] = JSON.parse(
    await succeed("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: REPO_ROOT }),
  ) as [{ filename: string; files: { path: string }[] }];
  tarball = join(dir, pack.filename);
  packed = pack.files.map((f) => f.path);
  const env = await localBetterSqlitePrebuild(join(dir, "prebuilds"));
  project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const npmInstall = ["install", "--no-audit", "--no-fund", "--loglevel", "error"];
  await succeed("npm", [...npmInstall, tarball], { cwd: project, env });
  await succeed("npm", [...npmInstall, "--global", "--prefix", join(dir, "global"), tarball], { cwd: dir, env });
  globalBin = join(dir, "global", "bin");
  server = await startTestServer({ store: "memory" });
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm pack", () => {
  test("holds only what a user needs: dist (the dashboard's bundle too), bin, proto, README, LICENSE, CHANGELOG, package.json", () => {
    console.info(`npm pack: ${packed.length} files`);
    const allowed =
      /^(dist\/.+\.(js|d\.ts|lua)|dist\/dashboard\/(index\.html|dashboard\.css|dashboard\.js\.LEGAL\.txt)|bin\/pynenc-status\.js|proto\/.+\.proto|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/;
    expect(packed.filter((path) => !allowed.test(path))).toEqual([]);
    for (const path of [
      "bin/pynenc-status.js",
      "dist/src/cli/main.js",
      "dist/src/client/index.d.ts",
      "dist/src/client/browser.js",
      "dist/src/store/redis/transition.lua",
      "dist/src/store/redis/include/store.lua",
      "dist/dashboard/index.html",
      "dist/dashboard/dashboard.js",
      "proto/pynenc/status/v1/status.proto",
      "CHANGELOG.md",
      "LICENSE",
    ]) {
      expect(packed).toContain(path);
    }
    expect(packed.filter((path) => /\.test\.|^dist\/(test|bench)\//.test(path))).toEqual([]);
  });

  test("is the tarball the README installs globally", () => {
    expect(README).toContain(`npm install -g ./pynenc-status-${VERSION}.tgz`);
    expect(tarball.endsWith(`/pynenc-status-${VERSION}.tgz`)).toBe(true);
  });
});

describe("installed from the tarball into an empty project", () => {
  test("pynenc-status/client: createStatusClient against a real server, Transition then Get", async () => {
    writeFileSync(
      join(project, "client.mjs"),
      `import { createStatusClient, InvocationStatus } from "pynenc-status/client";
const client = createStatusClient(process.argv[2], { idleConnectionTimeoutMs: 500 });
const invocationId = "packaged-" + process.pid;
const moved = await client.transition({ invocationId, status: InvocationStatus.REGISTERED, taskId: "app.task" });
const { record } = await client.get({ invocationId });
console.log(JSON.stringify({
  from: import.meta.resolve("pynenc-status/client"),
  revision: String(moved.record.revision),
  got: [InvocationStatus[record.status], record.taskId, String(record.revision)],
}));
`,
    );
    const seen = JSON.parse(
      await succeed(process.execPath, ["client.mjs", server.server.grpcAddress], { cwd: project }),
    );
    expect(seen.from).toBe(`file://${join(project, "node_modules/pynenc-status/dist/src/client/index.js")}`);
    expect(seen.got).toEqual(["REGISTERED", "app.task", seen.revision]);
  });

  test("the client's types check, for Node and under the browser condition", async () => {
    writeFileSync(
      join(project, "typed.ts"),
      `import { createStatusClient, InvocationStatus, type StatusClient } from "pynenc-status/client";
const client: StatusClient = createStatusClient("127.0.0.1:50051");
export const registered: Promise<bigint | undefined> = client
  .transition({ invocationId: "x", status: InvocationStatus.REGISTERED })
  .then((response) => response.record?.revision);
`,
    );
    const options = { noEmit: true, strict: true, skipLibCheck: true, target: "ES2022" };
    const configs = {
      node: { ...options, module: "NodeNext", types: ["node"], typeRoots: [join(REPO_ROOT, "node_modules/@types")] },
      // What a bundler for the web resolves: the "browser" export condition, the DOM, no Node types.
      browser: {
        ...options,
        module: "ESNext",
        moduleResolution: "bundler",
        customConditions: ["browser"],
        lib: ["ES2022", "DOM"],
        types: [],
      },
    };
    const tsc = resolveFromRepo("typescript/bin/tsc");
    for (const [name, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ["typed.ts"] }));
      await succeed(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], { cwd: project });
    }
  });

  test("the browser entry bundles without Node built-ins, and its bundle talks Connect to the HTTP port", async () => {
    writeFileSync(
      join(project, "browser.mjs"),
      `import { createStatusClient } from "pynenc-status/client";
export async function describe(address) {
  const { definitions } = await createStatusClient(address).describeStateMachine({});
  return definitions.length;
}
`,
    );
    // esbuild comes with tsx; platform=browser resolves the package's "browser" export condition.
    const esbuild = resolveFromRepo("esbuild/bin/esbuild");
    await succeed(
      esbuild,
      ["browser.mjs", "--bundle", "--platform=browser", "--format=esm", "--outfile=bundle.mjs", "--log-level=error"],
      {
        cwd: project,
      },
    );
    const bundle = readFileSync(join(project, "bundle.mjs"), "utf8");
    expect(bundle).not.toMatch(/from "(node:)?(http2?|net|tls)"/);
    // Node has fetch, which is all connect-web needs: run the bundle against the server.
    const script = `const { describe } = await import(${JSON.stringify(join(project, "bundle.mjs"))});
console.log(await describe(process.argv[1]));`;
    const out = await succeed(process.execPath, ["--input-type=module", "-e", script, server.server.httpAddress], {
      cwd: project,
    });
    expect(Number(out.trim())).toBeGreaterThan(10);
  });
});

/** A StatusRecord as the command line prints it (proto3 JSON). */
interface CliRecord {
  invocationId: string;
  status: string;
  runnerId?: string;
  taskId?: string;
}
const anyRevision = {
  revision: expect.any(String),
  timestamp: expect.any(String),
  registeredAt: expect.any(String),
};

describe("installed globally from the tarball (npm install -g)", () => {
  const installed = () => join(globalBin, "pynenc-status");

  test("--version and version print package.json's version (and so does the project's node_modules/.bin)", async () => {
    for (const bin of [installed(), join(project, "node_modules/.bin/pynenc-status")]) {
      for (const args of [["--version"], ["version"]]) {
        expect((await succeed(bin, args, { cwd: dir })).trim()).toBe(`pynenc-status ${VERSION}`);
      }
    }
  });

  test("serve from a fresh folder, the README's command-line snippet against it, a clean stop", async () => {
    const work = join(dir, "cli-work");
    mkdirSync(work);
    // The default store, ./pynenc-status.db, in that folder.
    const serving = await startServerProcess([], { executable: installed(), cwd: work });
    try {
      expect(existsSync(join(work, "pynenc-status.db"))).toBe(true);
      // Verbatim, but for the address of this server on each command.
      const script = readmeBlock("cli").replace(
        /^(pynenc-status [^#\n]*?)( +#.*)?$/gm,
        `$1 --server ${serving.grpcAddress}$2`,
      );
      const env = { ...process.env, PATH: `${globalBin}:${process.env.PATH}` };
      for (let i = 0; i < 2; i++) {
        // The last command, watch, goes on until interrupted: stop it (as Ctrl-C) once it printed both changes.
        const shell = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: work, env, detached: true });
        let stdout = "";
        let stderr = "";
        shell.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        shell.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => shell.once("close", resolve));
        await waitUntil(
          () => jsonLines<{ change?: unknown }>(stdout).filter((line) => line.change !== undefined).length >= 2,
          30_000,
          () => `the watch to print two changes; stdout:\n${stdout}\nstderr:\n${stderr}`,
        );
        process.kill(-shell.pid!, "SIGINT");
        await exited;
        expect(stderr).toBe("");
        // transition, transition, get (list-available prints nothing: a PENDING invocation is not
        // available), then the watch's two changes.
        const lines = jsonLines<{ record?: CliRecord; change?: { record: CliRecord } }>(stdout);
        const id = lines[0]!.record!.invocationId;
        expect(id).toMatch(/^inv-\d+-\d+$/);
        const registered = { invocationId: id, status: "INVOCATION_STATUS_REGISTERED", taskId: "app.tasks.add" };
        const pending = { ...registered, status: "INVOCATION_STATUS_PENDING", runnerId: "runner-a" };
        expect(lines.map((line) => line.record ?? line.change!.record)).toEqual(
          [registered, pending, pending, registered, pending].map((record) => ({ ...record, ...anyRevision })),
        );
      }
    } finally {
      expect(await serving.stop()).toBe(0);
    }
  });
});
