import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/client/index.js";
import { jsonLines, killRunning, startCollectedProcess } from "../helpers/child-processes.js";
import { type SecuredServer, startSecuredServer } from "../helpers/secured-server.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { assertToolchain, goBuild, locateToolchain, skipWithoutToolchain } from "../helpers/toolchain.js";

const tools = locateToolchain();
const skip = skipWithoutToolchain(tools, "the Python runner and Go watcher against a secured server");
const children: ChildProcess[] = [];
let secured: SecuredServer;

beforeAll(async () => {
  if (skip) return;
  assertToolchain(tools);
  secured = await startSecuredServer();
});
afterAll(async () => {
  killRunning(children);
  await secured?.close();
});

interface WatcherLine {
  invocation_id: string;
  status: string;
  principal: string;
}

describe.skipIf(skip)("the examples take TLS, a client certificate and a token", () => {
  test("the Python runner claims and runs as runner-a; the Go watcher shows who made each change", async () => {
    const ops = secured.client("grpc", { token: "token-ops" });
    const ids = ["ex-1", "ex-2", "ex-3"];
    for (const invocationId of ids) await ops.transition({ invocationId, status: S.REGISTERED });
    const { certs } = secured;
    const tls = [
      "--tls-ca",
      certs.caFile,
      "--tls-cert",
      certs.client("tools").certFile,
      "--tls-key",
      certs.client("tools").keyFile,
    ];

    const watcherBin = join(secured.dir, "go-watcher");
    await goBuild(tools, join(REPO_ROOT, "examples", "go-watcher"), watcherBin);
    const watcher = startCollectedProcess(
      watcherBin,
      ["--target", secured.server.grpcAddress, "--start-revision", "1", "--exit-after-idle", "4", ...tls],
      children,
      { ...process.env, PYNENC_STATUS_TOKEN: "token-reader" },
    );
    const runner = startCollectedProcess(
      tools.python,
      [
        join(REPO_ROOT, "examples", "python-runner", "runner.py"),
        "--target",
        secured.server.grpcAddress,
        "--runner-id",
        "runner-a-1",
        "--claim",
        "--idle-exit-seconds",
        "1",
        "--token",
        // A JWT: the runner lists and reads history too, so it is a reader as well.
        await secured.jwt({ sub: "runner-a", roles: ["runner", "reader"], runner_ids: ["runner-a-*"] }),
        ...tls,
      ],
      children,
      { ...process.env, PYTHONPATH: join(REPO_ROOT, "gen/python") },
    );
    expect(await runner.exited, runner.stderr()).toBe(0);
    expect(jsonLines(runner.stdout())).toHaveLength(ids.length);
    expect(await watcher.exited, watcher.stderr()).toBe(0);
    const changes = jsonLines<WatcherLine>(watcher.stdout()).filter((line) => ids.includes(line.invocation_id));
    const byPrincipal = (principal: string) => changes.filter((c) => c.principal === principal).map((c) => c.status);
    expect(byPrincipal("ops")).toEqual([
      "INVOCATION_STATUS_REGISTERED",
      "INVOCATION_STATUS_REGISTERED",
      "INVOCATION_STATUS_REGISTERED",
    ]);
    expect(byPrincipal("runner-a")).toContain("INVOCATION_STATUS_RUNNING");
    expect(changes.every((c) => c.principal === "ops" || c.principal === "runner-a")).toBe(true);
  }, 180_000);
});
