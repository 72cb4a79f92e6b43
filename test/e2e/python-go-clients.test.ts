// The Python and Go clients (examples/, gen/python, gen/go) against real server processes over
// real sockets: the runners-and-watcher run with a restart, error details, and packaging.

import type { ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HistoryEntry, InvocationStatus as S, StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { STATUS_NAME_PREFIX } from "../../src/service/proto-conversions.js";
import { jsonLines, killRunning, startCollectedProcess, waitUntil } from "../helpers/child-processes.js";
import { README } from "../helpers/readme.js";
import { freePort, REPO_ROOT, type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { assertToolchain, goBuild, locateToolchain, run, skipWithoutToolchain } from "../helpers/toolchain.js";

const tools = locateToolchain();
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const skip = skipWithoutToolchain(tools, "Python and Go clients");
let dir: string; // made in beforeAll: hooks do not run for a skipped suite, so it could not be removed

// Everything started here is killed at the end, so a failing test leaves no process behind.
const children: ChildProcess[] = [];

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return startCollectedProcess(command, args, children, env);
}
const servers: ServerProcess[] = [];

async function startServer(flags: string[]): Promise<ServerProcess> {
  const server = await startServerProcess(flags);
  servers.push(server);
  return server;
}

function clientFor(address: string) {
  return createClient(StatusService, createGrpcTransport({ baseUrl: `http://${address}` }));
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** The Go enum name, as the watcher prints it. */
const goName = (status: S) => `${STATUS_NAME_PREFIX}${S[status]}`;

/** Python children: the generated client on the path, and no .pyc files written into the repo. */
const pythonEnv = (extra: NodeJS.ProcessEnv = {}) => ({
  ...process.env,
  PYTHONPATH: join(REPO_ROOT, "gen", "python"),
  PYTHONDONTWRITEBYTECODE: "1",
  ...extra,
});

interface WatcherLine {
  revision: number;
  invocation_id: string;
  status: string;
  previous_status: string;
  runner_id: string | null;
}
interface RunnerLine {
  runner: string;
  invocation_id: string;
  final: "success" | "failed" | "retry";
  attempt: number;
}

describe.skipIf(skip)("Python runners and the Go watcher against a real server", () => {
  beforeAll(() => {
    assertToolchain(tools);
    dir = mkdtempSync(join(tmpdir(), "pynenc-status-clients-"));
  });
  afterAll(async () => {
    killRunning(children);
    await Promise.all(servers.map((s) => s.kill()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("SQLite server, three Python runners and the Go watcher: 300 invocations across a server restart", {
    timeout: 180_000,
  }, async () => {
    const COUNT = 300;
    const port = await freePort();
    const target = `127.0.0.1:${port}`;
    // The same gRPC port and database for both server lives (last --listen wins).
    const serverFlags = ["--listen", target, "--store", `sqlite:${join(dir, "e2e.db")}`];
    const watcherBin = join(dir, "go-watcher");
    await goBuild(tools, join(REPO_ROOT, "examples", "go-watcher"), watcherBin);
    let server = await startServer(serverFlags);

    // Watch from revision 1, before anything exists, so the watcher must see every change.
    const watcher = startChild(watcherBin, ["--target", target, "--start-revision", "1"]);
    const client = clientFor(target);
    const ids = Array.from({ length: COUNT }, (_, i) => `e2e-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < COUNT; i += 50) {
      await Promise.all(
        ids
          .slice(i, i + 50)
          .map((invocationId) => client.transition({ invocationId, status: S.REGISTERED, taskId: "e2e.task" })),
      );
    }

    const runnerPy = join(REPO_ROOT, "examples", "python-runner", "runner.py");
    const runners = ["r1", "r2", "r3"].map((id) =>
      startChild(
        tools.python,
        [runnerPy, "--target", target, "--runner-id", id, "--idle-exit-seconds", "3"],
        pythonEnv(),
      ),
    );

    // Restart once at least a quarter has ended, as the watcher sees it.
    const endsSeen = () =>
      jsonLines<WatcherLine>(watcher.stdout()).filter((l) => /_(SUCCESS|FAILED)$/.test(l.status)).length;
    await waitUntil(
      () => endsSeen() >= COUNT / 4,
      60_000,
      () => `25% final; watcher saw ${endsSeen()}`,
    );
    expect(await server.stop()).toBe(0);
    const stoppedAt = Date.now();
    server = await startServer(serverFlags);

    await waitUntil(
      () => runners.every((r) => r.child.exitCode !== null),
      90_000,
      () => "the runners' idle exit",
    );
    const runnerLog = runners.map((r) => r.stderr()).join("");
    expect(
      runners.map((r) => r.child.exitCode),
      runnerLog,
    ).toEqual([0, 0, 0]);

    // The store's final revision N, read the way a client lists then watches.
    const after = clientFor(target);
    const page = await after.listAvailableForRun({ pageSize: 10 });
    expect(page.records).toEqual([]);
    const lastRevision = Number(page.revision);
    await waitUntil(
      () => (jsonLines<WatcherLine>(watcher.stdout()).at(-1)?.revision ?? 0) >= lastRevision,
      30_000,
      () => `the watcher to reach revision ${lastRevision}; stderr: ${watcher.stderr()}`,
    );
    expect(watcher.child.exitCode, watcher.stderr()).toBeNull(); // still watching: no fatal exit
    watcher.child.kill("SIGTERM");
    await watcher.exited;

    // The watcher saw revisions 1..N exactly once each, in order, and reconnected across the restart.
    const seen = jsonLines<WatcherLine>(watcher.stdout());
    expect(seen.map((l) => l.revision)).toEqual(Array.from({ length: lastRevision }, (_, i) => i + 1));
    expect(watcher.stderr()).toMatch(/"event":"reconnect"/);
    expect(watcher.stderr()).not.toMatch(/out_of_order|fatal/);
    const seenBy = groupBy(seen, (l) => l.invocation_id);

    const ranBy = groupBy(jsonLines<RunnerLine>(runners.map((r) => r.stdout()).join("")), (l) => l.invocation_id);
    let historyEntries = 0;
    const endTimes: number[] = [];
    for (const invocationId of ids) {
      const { record } = await after.get({ invocationId });
      const logged = runnerLog.split("\n").filter((l) => l.includes(`"${invocationId}"`));
      expect([S.SUCCESS, S.FAILED], `${invocationId} is not final; runner logs:\n${logged.join("\n")}`).toContain(
        record!.status,
      );
      const { entries } = await after.getHistory({ invocationId });
      historyEntries += entries.length;
      // Each attempt: PENDING and RUNNING by one runner, then RETRY, SUCCESS or FAILED.
      const statuses = entries.map((e) => S[e.record!.status]).join(" ");
      expect(statuses, invocationId).toMatch(/^REGISTERED( PENDING RUNNING RETRY)* PENDING RUNNING (SUCCESS|FAILED)$/);
      const attempts = runningEntries(entries);
      for (const { pending, running } of attempts) {
        expect(running.record!.runnerId, invocationId).toBeTruthy();
        expect(running.record!.runnerId, invocationId).toBe(pending.record!.runnerId);
      }
      // The runners' own report agrees: one line per attempt, by the runner that owned it.
      const lines = (ranBy.get(invocationId) ?? []).sort((a, b) => a.attempt - b.attempt);
      expect(
        lines.map((l) => [l.attempt, l.runner, l.final]),
        invocationId,
      ).toEqual(
        attempts.map(({ running, end }, attempt) => [
          attempt,
          running.record!.runnerId,
          S[end.record!.status].toLowerCase(),
        ]),
      );
      // What the watcher saw of this invocation is exactly its history.
      const watched = (seenBy.get(invocationId) ?? []).map((l) => [
        l.revision,
        l.status,
        l.previous_status,
        l.runner_id,
      ]);
      expect(watched, invocationId).toEqual(
        entries.map((e) => [
          Number(e.record!.revision),
          goName(e.record!.status),
          goName(e.previousStatus),
          e.record!.runnerId ?? null,
        ]),
      );
      endTimes.push(timestampMs(entries.at(-1)!.record!.timestamp!));
    }
    expect(historyEntries).toBe(lastRevision); // every revision belongs to one of ours
    // A "lost" run (rejected after the runner took the invocation) must not happen here.
    expect(runnerLog).not.toMatch(/"event": "lost"/);

    // The restart was in the middle: some invocations ended on each side of it.
    const endedBefore = endTimes.filter((t) => t < stoppedAt).length;
    expect(endedBefore).toBeGreaterThanOrEqual(COUNT / 4);
    expect(endedBefore).toBeLessThan(COUNT);
    const events = (name: string) => runnerLog.split(`"event": "${name}"`).length - 1;
    console.info(
      `${lastRevision} revisions; ${endedBefore}/${COUNT} ended before the restart; ` +
        `runner events: ${events("not_taken")} not_taken, ${events("unavailable")} unavailable`,
    );
    expect(await server.stop()).toBe(0);
  });

  describe("against a memory-store server", () => {
    let target: string;
    beforeAll(async () => {
      target = (await startServer(["--store", "memory"])).grpcAddress;
    });

    test("Python reads the error details (pytest: all passed, none skipped)", { timeout: 60_000 }, async () => {
      const testFile = join(REPO_ROOT, "examples", "python-runner", "test_errors.py");
      const result = await run(tools.python, ["-m", "pytest", "-p", "no:cacheprovider", "-q", testFile], {
        env: pythonEnv({ PYNENC_STATUS_TARGET: target }),
      });
      const summary = result.stdout.trim().split("\n").at(-1) ?? "";
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(summary).toMatch(/^4 passed/);
      expect(summary).not.toMatch(/skipped|deselected|xfail/);
    });

    test("Go reads the error details (go test -v: the expected tests pass, none skipped)", {
      timeout: 120_000,
    }, async () => {
      const result = await run(tools.go, ["test", "-count=1", "-v", "./..."], {
        cwd: join(REPO_ROOT, "examples", "go-watcher"),
        env: { ...process.env, PYNENC_STATUS_TARGET: target },
      });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      for (const name of [
        "TestInvalidTransition",
        "TestOwnershipViolation",
        "TestOwnershipViolation/another_runner_moves_a_pending_invocation",
        "TestOwnershipViolation/pending_without_a_runner",
      ]) {
        expect(result.stdout).toContain(`--- PASS: ${name} `);
      }
      expect(result.stdout).not.toMatch(/SKIP/);
    });

    test("gen/python builds a wheel and an sdist that install beside the real pynenc in a fresh venv", {
      timeout: 240_000,
    }, async () => {
      const client = clientFor(target);
      await client.transition({ invocationId: "pkg-py", status: S.REGISTERED, taskId: "pkg.task" });
      const env = { ...process.env, PYTHONPATH: undefined }; // only what each venv has installed
      const check = async (args: string[], timeoutMs = 60_000) => {
        const result = await run(args[0]!, args.slice(1), { env, timeoutMs });
        expect(result.code, `${args.join(" ")}\n${result.stdout}${result.stderr}`).toBe(0);
        return result.stdout.trim();
      };
      // Build from a copy: building in place would leave build/, dist/ and *.egg-info in gen/python.
      // python -m build makes the sdist, then the wheel from the unpacked sdist: the sdist is complete.
      const source = join(dir, "python-client");
      cpSync(join(REPO_ROOT, "gen", "python"), source, {
        recursive: true,
        filter: (path) => !/(^|\/)(build|dist|__pycache__|[^/]*\.egg-info)$/.test(path),
      });
      const built = join(dir, "python-dist");
      await check([tools.python, "-m", "build", "--outdir", built, source], 180_000);
      const wheel = join(built, `pynenc_status_client-${VERSION}-py3-none-any.whl`);
      const sdist = join(built, `pynenc_status_client-${VERSION}.tar.gz`);
      const metadata = await check([tools.python, "-c", WHEEL_METADATA, wheel]);
      expect(JSON.parse(metadata)).toEqual({
        name: "pynenc-status-client",
        version: VERSION,
        license: "MIT",
        licenseFiles: ["LICENSE"],
        requiresPython: ">=3.10",
        urls: expect.arrayContaining([
          expect.stringMatching(/^Homepage, https:\/\/github.com\/pynenc\/pynenc-status$/),
        ]),
      });
      expect(await check(["tar", "tzf", sdist])).toMatch(/^pynenc_status_client-[^/]+\/LICENSE$/m);

      const venv = join(dir, "venv");
      const python = join(venv, "bin", "python");
      await check([tools.python, "-m", "venv", venv]);
      const pip = [python, "-m", "pip", "--disable-pip-version-check"];
      await check([...pip, "install", "--quiet", wheel, "pynenc"], 150_000);
      await check([python, "-c", "import pynenc, pynenc_status.v1.status_pb2, pynenc_status.v1.status_pb2_grpc"]);
      await check([...pip, "check"]);
      // And the installed client talks to the server.
      const get = [
        "import sys, grpc",
        "from pynenc_status.v1 import status_pb2 as pb, status_pb2_grpc",
        "stub = status_pb2_grpc.StatusServiceStub(grpc.insecure_channel(sys.argv[1]))",
        "r = stub.Get(pb.GetRequest(invocation_id='pkg-py'), timeout=10).record",
        "print(pb.InvocationStatus.Name(r.status), r.task_id)",
      ].join("\n");
      expect(await check([python, "-c", get, target])).toBe("INVOCATION_STATUS_REGISTERED pkg.task");
    });

    test("gen/go is usable from a clone through the README's replace directive", { timeout: 120_000 }, async () => {
      const client = clientFor(target);
      await client.transition({ invocationId: "pkg-go", status: S.REGISTERED, taskId: "pkg.task" });
      // As the README lays it out: a clone named pynenc-status beside the user's module.
      const parent = join(dir, "go-replace");
      const module = join(parent, "scratch");
      mkdirSync(module, { recursive: true });
      symlinkSync(REPO_ROOT, join(parent, "pynenc-status"));
      const readmeLines = /^require github\.com\/pynenc\/pynenc-status\/gen\/go .*\nreplace .*$/m.exec(README)?.[0];
      expect(readmeLines).toContain("=> ../pynenc-status/gen/go");
      writeFileSync(join(module, "go.mod"), `module example.com/scratch\n\ngo 1.24.0\n\n${readmeLines}\n`);
      writeFileSync(join(module, "main.go"), GO_GET_PROGRAM);
      const go = async (...args: string[]) => {
        const result = await run(tools.go, args, { cwd: module });
        expect(result.code, `go ${args.join(" ")}\n${result.stdout}${result.stderr}`).toBe(0);
        return result.stdout.trim();
      };
      await go("mod", "tidy"); // fills in grpc and protobuf from gen/go's requirements
      await go("build", "-o", "scratch", ".");
      await go("vet", "./...");
      const output = await run(join(module, "scratch"), [target, "pkg-go"]);
      expect(output.code, output.stderr).toBe(0);
      expect(output.stdout.trim()).toBe("INVOCATION_STATUS_REGISTERED pkg.task");
    });
  });
});

/** Splits a history into attempts: each PENDING, the RUNNING after it and the status that ended it. */
function runningEntries(entries: HistoryEntry[]) {
  const attempts: { pending: HistoryEntry; running: HistoryEntry; end: HistoryEntry }[] = [];
  entries.forEach((entry, i) => {
    if (entry.record!.status === S.RUNNING)
      attempts.push({ pending: entries[i - 1]!, running: entry, end: entries[i + 1]! });
  });
  return attempts;
}

/** What a built wheel declares, as JSON: `python -c WHEEL_METADATA WHEEL`. */
const WHEEL_METADATA = `
import json, sys
from importlib.metadata import PathDistribution
from zipfile import Path

meta = PathDistribution(next(p for p in Path(sys.argv[1]).iterdir() if p.name.endswith(".dist-info"))).metadata
print(json.dumps({
    "name": meta["Name"],
    "version": meta["Version"],
    "license": meta["License-Expression"],
    "licenseFiles": meta.get_all("License-File"),
    "requiresPython": meta["Requires-Python"],
    "urls": meta.get_all("Project-URL"),
}))
`;

/** A tiny program that dials a server and calls Get: `scratch HOST:PORT INVOCATION_ID`. */
const GO_GET_PROGRAM = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	statusv1 "github.com/pynenc/pynenc-status/gen/go/pynenc/status/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := statusv1.NewStatusServiceClient(conn).Get(ctx, &statusv1.GetRequest{InvocationId: os.Args[2]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(resp.GetRecord().GetStatus(), resp.GetRecord().GetTaskId())
}
`;
