// The pynenc plugin (pynenc-status-orchestrator/) against real servers, driven from npm test:
// - its distribution, built with python -m build, has the right metadata and entry points;
// - pynenc 0.4.0's shared suites, unmodified, pass and skip exactly as pynenc's own backends do in
//   the same run, with the service on the memory store, on SQLite and on Redis with two replicas,
//   and the plugin's own tests (race, SIGKILL recovery, status integrity, conformance, client) pass
//   on each store (tests/run_suites.py does the work; this file checks its summary);
// - examples/pynenc-app runs: two runner processes, the watcher sees every invocation finish.
// pynenc needs Python >= 3.12: scripts/install-pynenc.sh finds one (or says clearly that none is
// there) and builds .tools/pynenc-venv. Locally a missing Python 3.12 skips this file loudly; with
// CI=true nothing is skipped.

import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { killRunning, startCollectedProcess, waitUntil } from "../helpers/child-processes.js";
import { REPO_ROOT, type ServerProcess, startServerProcess } from "../helpers/server-process.js";
import { GRPCURL } from "../helpers/toolchain.js";

const PLUGIN = join(REPO_ROOT, "pynenc-status-orchestrator");
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;

/** Run the install script; the venv's python, or the reason it could not be made. */
function installPynenc(): { python?: string; error?: string } {
  const install = spawnSync("bash", [join(REPO_ROOT, "scripts", "install-pynenc.sh")], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 900_000,
  });
  if (install.status !== 0) return { error: `scripts/install-pynenc.sh failed:\n${install.stderr}${install.stdout}` };
  return { python: install.stdout.trim().split("\n").at(-1) };
}

const installed = installPynenc();
const skip = installed.python === undefined && process.env.CI !== "true";
if (skip) console.warn(`\n!!! SKIPPING the pynenc plugin tests: ${installed.error}\n`);

interface RunSummary {
  counts: Record<string, number>;
  wall_seconds: Record<string, number>;
  failed: string[];
  failed_first_try: string[];
  service_revision?: { tests_that_wrote: number; final_revision: number; apps_checked: number }[];
}
interface Summary {
  runs: Record<string, RunSummary>;
  problems: string[];
  wall_seconds_total: number;
  expected_failures: string[];
}

describe.skipIf(skip)("the pynenc plugin", () => {
  let python: string;
  const children: ChildProcess[] = [];
  const servers: ServerProcess[] = [];
  beforeAll(() => {
    if (installed.python === undefined) throw new Error(installed.error);
    python = installed.python;
  });
  afterAll(async () => {
    killRunning(children);
    await Promise.all(servers.map((server) => server.stop()));
  });

  test("examples/pynenc-app: two runner processes finish every invocation, the grpcurl watcher sees it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pynenc-example-"));
    try {
      const server = await startServerProcess([
        "--state-machine",
        "pynenc-0.3",
        "--recovery",
        "off",
        "--store",
        `sqlite:${join(dir, "status.db")}`,
      ]);
      servers.push(server);
      const example = join(REPO_ROOT, "examples", "pynenc-app");
      const env = {
        ...process.env,
        EXAMPLE_DB: join(dir, "pynenc-example.db"),
        PYNENC_STATUS_ADDRESS: server.grpcAddress,
        GRPCURL,
        PYTHONDONTWRITEBYTECODE: "1",
      };
      const watcher = startCollectedProcess("bash", [join(example, "watch.sh"), server.grpcAddress], children, env);
      const runners = [1, 2].map(() =>
        startCollectedProcess(python, [join(example, "runner.py")], children, { ...env, PYTHONPATH: example }),
      );
      await waitUntil(
        () => runners.every((runner) => runner.stdout().includes("started")),
        60_000,
        () => `both runners to start: ${runners.map((r) => r.stderr()).join("\n")}`,
      );
      const submit = spawnSync(python, [join(example, "submit.py"), "20"], {
        cwd: example,
        env: { ...env, PYTHONPATH: example },
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(submit.status, submit.stderr).toBe(0);
      const line = JSON.parse(submit.stdout.trim().split("\n").at(-1)!) as {
        results: number[];
        invocations_in_service: number;
      };
      expect(line.results).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
      expect(line.invocations_in_service).toBe(20);
      // grpcurl prints one JSON object per message; each change names its record's status.
      const successes = () => watcher.stdout().match(/"status": "INVOCATION_STATUS_SUCCESS"/g)?.length ?? 0;
      await waitUntil(
        () => successes() >= 20,
        30_000,
        () => `20 successes in the watcher: ${watcher.stdout()}`,
      );
      const text = watcher.stdout();
      expect(text.match(/"status": "INVOCATION_STATUS_REGISTERED"/g)).toHaveLength(20);
      expect(text.match(/"status": "INVOCATION_STATUS_RUNNING"/g)!.length).toBeGreaterThanOrEqual(20);
      const runnerIds = new Set([...text.matchAll(/"runnerId": "([^"]+)"/g)].map((m) => m[1]));
      expect(runnerIds.size).toBeGreaterThanOrEqual(1);
      for (const runner of runners) runner.child.kill("SIGTERM");
      await Promise.all(runners.map((runner) => runner.exited));
    } finally {
      killRunning(children);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  test("its wheel and sdist carry package.json's version, the pins and the pynenc entry points", () => {
    const dist = join(REPO_ROOT, ".tools", "pynenc-dist", "plugin");
    const files = readdirSync(dist);
    expect(files).toContain(`pynenc_status_orchestrator-${VERSION}-py3-none-any.whl`);
    expect(files).toContain(`pynenc_status_orchestrator-${VERSION}.tar.gz`);
    const read = spawnSync(
      python,
      [
        "-c",
        `import sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
names = wheel.namelist()
meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
print(wheel.read(meta).decode()); print("----"); print(wheel.read(entry).decode())
print("----"); print("\\n".join(names))`,
        join(dist, `pynenc_status_orchestrator-${VERSION}-py3-none-any.whl`),
      ],
      { encoding: "utf8" },
    );
    expect(read.status, read.stderr).toBe(0);
    const [metadata, entryPoints, names] = read.stdout.split("----\n");
    expect(metadata).toContain("Name: pynenc-status-orchestrator");
    expect(metadata).toContain(`Version: ${VERSION}`);
    expect(metadata).toContain("Requires-Python: >=3.12");
    expect(metadata).toMatch(/Requires-Dist: pynenc<0\.5,>=0\.4/);
    expect(metadata).toContain(`Requires-Dist: pynenc-status-client==${VERSION}`);
    expect(metadata).toContain("License-Expression: MIT");
    expect(entryPoints).toContain("[pynenc.plugins]");
    expect(entryPoints).toContain("pynenc_status_orchestrator = pynenc_status_orchestrator.orchestrator");
    expect(entryPoints).toContain(
      "pynenc_status_builder = pynenc_status_orchestrator.builder:PynencStatusBuilderPlugin",
    );
    expect(names).toContain("pynenc_status_orchestrator/py.typed");
    // Installed from that wheel: pynenc finds the classes by name and the builder method.
    const check = spawnSync(
      python,
      [
        "-c",
        `from pynenc import PynencBuilder
app = PynencBuilder().sqlite("/tmp/never-opened.db").pynenc_status("127.0.0.1:1").build()
from pynenc.orchestrator.base_orchestrator import BaseOrchestrator
from pynenc.util.subclasses import get_subclass
print(get_subclass(BaseOrchestrator, "PynencStatusMemOrchestrator").__module__, app.conf.orchestrator_cls)`,
      ],
      { encoding: "utf8", cwd: "/tmp" },
    );
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout.trim()).toBe("pynenc_status_orchestrator.orchestrator PynencStatusSQLiteOrchestrator");
  });

  test(
    "pynenc 0.4.0's shared suites: the plugin passes and skips what pynenc's own backends do, on every store",
    () => {
      const out = join(REPO_ROOT, ".tools", "pynenc-suites");
      rmSync(out, { recursive: true, force: true });
      const run = spawnSync(python, [join(PLUGIN, "tests", "run_suites.py"), "--out", out], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 60 * 60_000,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      });
      console.log(run.stdout, run.stderr);
      expect(existsSync(join(out, "summary.json")), `no summary: ${run.stderr}`).toBe(true);
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary;
      expect(summary.problems).toEqual([]);
      expect(run.status).toBe(0);
      const stores = ["memory", "sqlite", "redis"];
      expect(Object.keys(summary.runs).sort()).toEqual(
        ["baseline", "unit", ...stores, ...stores.map((s) => `${s}-service`)].sort(),
      );
      const baseline = summary.runs.baseline!;
      // The 484 tests of the seven suites ran (REPORT.md §7).
      const total = (r: RunSummary) => (r.counts.passed ?? 0) + (r.counts.skipped ?? 0) + (r.counts.failed ?? 0);
      expect(total(baseline)).toBe(484);
      for (const store of stores) {
        const run = summary.runs[store]!;
        expect(total(run)).toBe(484);
        expect(run.counts.skipped).toBe(baseline.counts.skipped);
        expect(run.service_revision!.every((r) => r.tests_that_wrote > 0 && r.apps_checked > 0)).toBe(true);
        expect(summary.runs[`${store}-service`]!.counts.failed ?? 0).toBe(0);
        expect(summary.runs[`${store}-service`]!.counts.passed).toBeGreaterThanOrEqual(15);
      }
    },
    65 * 60_000,
  );
});
