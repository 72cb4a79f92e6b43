import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createStatusClient } from "../../src/client/index.js";
import { PYNENC_0_3_STATUS_CONFIG, STATUS_CONFIG, stateDiagramDot, stateDiagramMermaid } from "../../src/core/index.js";
import { killRunning, startCollectedProcess, waitUntil } from "../helpers/child-processes.js";
import { startTestServer, type TestServer } from "../helpers/in-process-server.js";
import { freePort, REPO_ROOT, startServerProcess } from "../helpers/server-process.js";
import { run } from "../helpers/toolchain.js";

const CLI = ["--import", "tsx", "src/cli/main.ts"];

function cli(args: string[]) {
  return run(process.execPath, [...CLI, ...args]);
}

let server: TestServer;
let target: string;
beforeAll(async () => {
  server = await startTestServer({ store: "memory" });
  target = server.server.grpcAddress;
});
afterAll(() => server.close());

describe("pynenc-status command line", () => {
  test.each([
    [["--help"]],
    [["serve", "--help"]],
    [["get", "--help"]],
    [["transition", "--help"]],
    [["list-available", "--help"]],
    [["watch", "--help"]],
    [["render", "--help"]],
  ])("%j prints usage and exits 0", async (args) => {
    const result = await cli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pynenc-status/);
  });

  test.each([[["--version"]], [["version"]]])("%j prints package.json's version", async (args) => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const result = await cli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`pynenc-status ${version}\n`);
  });

  test("render draws the state machine as Mermaid, DOT and SVG, locally or from a server", async () => {
    const mermaid = await cli(["render"]);
    expect(mermaid.stdout).toBe(stateDiagramMermaid());
    const fromServer = await cli(["render", "--format", "mermaid", "--server", target]);
    expect(fromServer.stdout).toBe(mermaid.stdout);
    const dot = await cli(["render", "--format", "dot"]);
    expect(dot.stdout).toBe(stateDiagramDot());
    expect(dot.stdout).toContain("running -> running_recovery [style=dashed];");
    const svg = await cli(["render", "--format", "svg", "--server", target]);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toContain("<svg");
    for (const status of ["registered", "running_recovery", "concurrency_controlled_final"])
      expect(svg.stdout).toContain(`>${status}</text>`);
    expect((await cli(["render", "--format", "png"])).code).toBe(2);
  });

  test("render draws either profile, from this build or from a server serving it", async () => {
    const own = await startTestServer({ store: "memory", config: PYNENC_0_3_STATUS_CONFIG });
    try {
      const local = await cli(["render", "--state-machine", "pynenc-0.3"]);
      expect(local.stdout).toBe(stateDiagramMermaid(PYNENC_0_3_STATUS_CONFIG));
      expect(local.stdout).not.toContain("resumed");
      const remote = await cli(["render", "--server", own.server.grpcAddress]);
      expect(remote.stdout).toBe(local.stdout);
      const dot = await cli(["render", "--format", "dot", "--server", own.server.grpcAddress]);
      expect(dot.stdout).toBe(stateDiagramDot(PYNENC_0_3_STATUS_CONFIG));
      expect((await cli(["render", "--state-machine", "pynenc-0.2"])).stdout).toBe(stateDiagramMermaid(STATUS_CONFIG));
      expect((await cli(["render", "--state-machine", "pynenc-9"])).code).toBe(2);
      expect((await cli(["render", "--state-machine", "pynenc-0.3", "--server", target])).code).toBe(2);
    } finally {
      await own.close();
    }
  });

  test("serve refuses an unknown --state-machine or --recovery value (exit 2)", async () => {
    for (const flags of [
      ["--state-machine", "pynenc-9"],
      ["--recovery", "maybe"],
    ]) {
      const result = await cli(["serve", "--store", "memory", "--listen", "127.0.0.1:0", ...flags]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(flags[0]);
    }
  });

  test("serve --state-machine pynenc-0.3 --allow-purge --recovery off serves that profile and allows purges", async () => {
    const served = await startServerProcess([
      "--store",
      "memory",
      "--state-machine",
      "pynenc-0.3",
      "--allow-purge",
      "--recovery",
      "off",
    ]);
    try {
      const address = served.grpcAddress;
      expect((await cli(["render", "--server", address])).stdout).toBe(stateDiagramMermaid(PYNENC_0_3_STATUS_CONFIG));
      const resumed = await cli(["transition", "x", "resumed", "--server", address]);
      expect(resumed.code).toBe(1);
      expect(resumed.stderr).toContain("INVALID_ARGUMENT");
      expect(resumed.stderr).toContain("pynenc-0.3");
      const registered = await cli(["transition", "x", "registered", "--namespace", "app", "--server", address]);
      expect(JSON.parse(registered.stdout).record.namespace).toBe("app");
      expect(
        JSON.parse((await cli(["get", "x", "--namespace", "app", "--server", address])).stdout).record,
      ).toMatchObject({
        namespace: "app",
        status: "INVOCATION_STATUS_REGISTERED",
      });
      expect((await cli(["get", "x", "--server", address])).code).toBe(1);
      const client = createStatusClient(address);
      expect((await client.purgeNamespace({ namespace: "app" })).invocationsPurged).toBe(1n);
    } finally {
      await served.stop();
    }
  });

  test("an unknown command or flag is a usage error (exit 2)", async () => {
    expect((await cli(["frobnicate"])).code).toBe(2);
    const badFlag = await cli(["get", "x", "--bogus"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr.trim().split("\n")).toHaveLength(2);
    expect((await cli(["transition", "x", "flying"])).code).toBe(2);
  });

  test("transition, get and list-available print JSON", async () => {
    const registered = await cli(["transition", "cli-1", "registered", "--task", "t", "--server", target]);
    expect(registered.code).toBe(0);
    expect(JSON.parse(registered.stdout)).toMatchObject({
      record: { invocationId: "cli-1", status: "INVOCATION_STATUS_REGISTERED", taskId: "t" },
    });
    const pending = await cli([
      "transition",
      "cli-1",
      "INVOCATION_STATUS_PENDING",
      "--runner",
      "r1",
      "--server",
      target,
    ]);
    expect(JSON.parse(pending.stdout)).toMatchObject({
      record: { runnerId: "r1" },
      previousStatus: "INVOCATION_STATUS_REGISTERED",
    });
    const got = await cli(["get", "cli-1", "--server", target]);
    expect(JSON.parse(got.stdout).record.status).toBe("INVOCATION_STATUS_PENDING");
    await cli(["transition", "cli-2", "registered", "--server", target]);
    const listed = await cli(["list-available", "--server", target]);
    expect(
      listed.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).invocationId),
    ).toEqual(["cli-2"]);
  });

  test("an error from the server is one line with its code and reason, exit 1", async () => {
    const result = await cli(["transition", "cli-1", "success", "--runner", "r1", "--server", target]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("FAILED_PRECONDITION INVALID_TRANSITION");
  });

  test("an unreachable server is one clear line, exit 1", async () => {
    const result = await cli(["get", "x", "--server", `127.0.0.1:${await freePort()}`]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot reach the server/);
  });

  test("pointed at the HTTP port, a command says it looks like the wrong port, exit 1", async () => {
    const result = await cli(["get", "x", "--server", server.server.httpAddress]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`the server at ${server.server.httpAddress} does not speak gRPC`);
    expect(result.stderr).toContain("wrong port");
  });

  test("watch against a dead address keeps trying, backing off, and says so on stderr", async () => {
    const children: ChildProcess[] = [];
    const watcher = startCollectedProcess(
      process.execPath,
      [...CLI, "watch", "--server", `127.0.0.1:${await freePort()}`],
      children,
    );
    try {
      const retries = () => [
        ...watcher.stderr().matchAll(/^watch interrupted: cannot reach the server .*; retrying in ([\d.]+)s/gm),
      ];
      await waitUntil(
        () => retries().length >= 4,
        30_000,
        () => `four retries; stderr: ${watcher.stderr()}`,
      );
      expect(watcher.child.exitCode).toBeNull();
      expect(
        retries()
          .map((m) => Number(m[1]))
          .slice(0, 4),
      ).toEqual([0.1, 0.2, 0.4, 0.8]);
      expect(watcher.stdout()).toBe("");
    } finally {
      killRunning(children);
      await watcher.exited;
    }
  });

  test("watch resumes from the last revision it printed when the server restarts, missing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pynenc-status-cli-"));
    const port = await freePort();
    const flags = ["--store", `sqlite:${join(dir, "s.db")}`, "--listen", `127.0.0.1:${port}`];
    let serverProcess = await startServerProcess(flags);
    const watcher = spawn(
      process.execPath,
      [...CLI, "watch", "--server", `127.0.0.1:${port}`, "--start-revision", "1"],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const revisions: number[] = [];
    createInterface({ input: watcher.stdout! }).on("line", (line) =>
      revisions.push(Number(JSON.parse(line).change.record.revision)),
    );
    const waitFor = async (n: number) => {
      for (let i = 0; i < 300 && revisions.length < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const run = async (id: string) => {
      for (const [status, runner] of [["registered"], ["pending", "r"], ["running", "r"], ["success", "r"]]) {
        expect(
          (
            await cli([
              "transition",
              id,
              status!,
              ...(runner ? ["--runner", runner] : []),
              "--server",
              `127.0.0.1:${port}`,
            ])
          ).code,
        ).toBe(0);
      }
    };
    await run("w-1");
    await waitFor(4);
    await serverProcess.stop();
    serverProcess = await startServerProcess(flags);
    await run("w-2");
    await waitFor(8);
    watcher.kill();
    await serverProcess.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(revisions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
