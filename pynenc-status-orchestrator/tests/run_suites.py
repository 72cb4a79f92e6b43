"""Run pynenc 0.4.0's shared suites against the plugin on every store, and the baseline beside them.

    python tests/run_suites.py [--stores memory,sqlite,redis] [--jobs 2] [--out DIR] [--quick]

One run = one pytest process:

- ``baseline``: the suites with pynenc's own fixtures (built-in memory and SQLite backends);
- ``<store>``: the same suites with the plugin (tests/suites/conftest.py overrides the fixtures),
  against a service the script starts: memory, SQLite, or Redis with TWO server replicas (the
  plugin round-robins over both);
- ``<store>-service``: the plugin's own tests against that service (tests/service: the race,
  SIGKILL recovery, the ported status-integrity test, state-machine conformance, the client);
- ``unit``: the plugin's pure-helper tests (tests/unit).

The suites are split in two jobs per run (integration/combinations, the slow one, and the rest) and
the jobs run ``--jobs`` at a time, longest first. A test that fails is run up to RERUNS more times,
alone, after all jobs, in baseline and plugin runs alike (pynenc's timing tests are flaky on 2
cores; REPORT.md §8); it counts as passed if one of them passes.

Then, for every store: the plugin's passed and skipped sets must equal the baseline's, test for
test; a failed test is accepted only if it is in EXPECTED_FAILURES and the baseline failed it too.
The service runs and unit must pass. Writes ``summary.json`` and prints a table and the wall time.
Exit code 0 when everything holds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from harness.servers import Service, redis_server_path, start_service

SUITES = [
    "unit/orchestrator",
    "unit/app",
    "unit/app_id_isolation",
    "unit/trigger",
    "integration/orchestrator",
    "integration/app_id_isolation",
    "integration/combinations",
]
SLOW_SUITE = "integration/combinations"
#: How many more times a failed test runs, alone, before its failure counts (both sides alike).
RERUNS = 2

#: Upstream tests that fail on this machine kind (2 cores) with pynenc's own backends, so they may
#: fail with the plugin too, but only where the baseline run failed them as well. Keep it short.
EXPECTED_FAILURES = {
    # ProcessRunner forks one child per invocation (100) from its runner thread while the test's
    # thread reads pynenc's SQLite backends: a child forked while another thread is inside SQLite
    # waits for good on SQLite's allocator mutex (seen with gdb), and once both process slots of a
    # 2-core machine are stuck the test times out. The baseline hangs so in most runs; the plugin
    # reads statuses from the service, so fewer of its children are forked mid-SQLite, but it can.
    (
        "integration/combinations/test_integration_pynenc_combinations.py::"
        "test_status_owner_match_a_runner_id[SQLite Process Pickle]"
    ),
    # Starts 20 PersistentProcessRunner workers against pynenc's 30 s timeout: 37 s alone on 2 cores
    # (REPORT.md §8), and it fails more often under load. It builds its own app on pynenc's built-in
    # SQLite at import, so it never exercises the plugin in either run; tests/service has it ported
    # to the plugin, with a longer timeout.
    "integration/orchestrator/test_integration_pynenc_orchestrator.py::test_status_transitions",
    # The same module, star-imported by the combinations suite too: the same 20 workers.
    "integration/combinations/test_integration_pynenc_combinations.py::test_status_transitions",
}


@dataclass
class Job:
    run: str  # baseline | memory | sqlite | redis | <store>-service | unit
    name: str
    rootdir: Path
    paths: list[str]
    env: dict[str, str]
    weight: float  # expected seconds, for longest-first ordering
    junit: Path = field(default=Path())
    wall: float = 0.0
    returncode: int | None = None


def _node_id(rootdir: Path, classname: str, name: str) -> str:
    """pytest's node id from junit's classname (dotted module path, then any test classes)."""
    parts = classname.split(".")
    for split in range(len(parts), 0, -1):
        module = "/".join(parts[:split]) + ".py"
        if (rootdir / module).is_file():
            return "::".join([module, *parts[split:], name])
    return f"{classname}::{name}"


def _outcomes(junit: Path, rootdir: Path) -> dict[str, tuple[str, str]]:
    if not junit.exists():
        return {}
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        node = _node_id(rootdir, case.get("classname", ""), case.get("name", ""))
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", (child.get("message") or "")[:300]
            elif child.tag == "skipped":
                outcome, message = "skipped", (child.get("message") or "")[:300]
        # A test that errors in teardown after passing appears twice; keep the worse outcome.
        if outcome == "failed" or node not in outcomes:
            outcomes[node] = (outcome, message)
    return outcomes


def _pytest(python: str, job: Job, extra: list[str], junit: Path, log: Path, rerun: bool = False) -> int:
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", f"--junitxml={junit}", *extra]
    env = {**os.environ, **job.env}
    if rerun:  # the job's report of the service's revision stays the whole job's
        env.pop("PYNENC_STATUS_SUITE_REPORT", None)
    with log.open("w", encoding="utf-8") as out:
        # Its own session, so whatever it leaves behind (pynenc's tests leave forked runner children,
        # some deadlocked) is killed with it.
        process = subprocess.Popen(
            command, cwd=job.rootdir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        returncode = process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="memory,sqlite,redis")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--suites", default=",".join(SUITES), help="comma list of suites (default: all seven)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (then nothing is compared)")
    parser.add_argument("--no-service-tests", action="store_true")
    args = parser.parse_args()

    started = time.monotonic()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="pynenc-suites-"))
    out.mkdir(parents=True, exist_ok=True)
    stores = [s for s in args.stores.split(",") if s]
    suites = [s for s in args.suites.split(",") if s]
    if "redis" in stores and redis_server_path() is None:
        message = "redis-server is not on PATH: apt-get install -y redis-server (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            print(message, file=sys.stderr)
            return 1
        print(f"!!! SKIPPING the redis store: {message}", file=sys.stderr)
        stores.remove("redis")

    services: dict[str, Service] = {}
    try:
        for store in stores:
            services[store] = start_service(store, log_dir=out / "server-logs")
        print("services: " + ", ".join(f"{s}={v.address}" for s, v in services.items()), flush=True)

        jobs: list[Job] = []
        base_env = {"PYTHONDONTWRITEBYTECODE": "1"}
        runs = ([] if args.no_baseline else ["baseline"]) + stores
        rest = [s for s in suites if s != SLOW_SUITE]
        for run in runs:
            env = dict(base_env)
            if run == "baseline":
                env["PYNENC_STATUS_SUITE_MODE"] = "baseline"
                env["PYNENC__PYNENC_STATUS_ADDRESS"] = ""
            else:
                env["PYNENC_STATUS_SUITE_MODE"] = "plugin"
                env["PYNENC__PYNENC_STATUS_ADDRESS"] = services[run].address
                env["PYNENC_STATUS_SUITE_REPORT"] = str(out / f"{run}-revision-{{part}}.json")
            if SLOW_SUITE in suites:
                jobs.append(Job(run, "combinations", TESTS / "suites", [SLOW_SUITE], env, 200))
            if rest:
                jobs.append(Job(run, "rest", TESTS / "suites", rest, env, 90))
            if run != "baseline" and not args.no_service_tests:
                service_env = {**base_env, "PYNENC_STATUS_TEST_ADDRESS": services[run].address}
                jobs.append(Job(f"{run}-service", "service", TESTS / "service", ["."], service_env, 100))
        jobs.append(Job("unit", "unit", TESTS / "unit", ["."], dict(base_env), 2))

        print_lock = threading.Lock()

        def execute(job: Job) -> None:
            job.junit = out / f"{job.run}-{job.name}.xml"
            env_report = job.env.get("PYNENC_STATUS_SUITE_REPORT")
            if env_report:
                job.env = {**job.env, "PYNENC_STATUS_SUITE_REPORT": env_report.replace("{part}", job.name)}
            begin = time.monotonic()
            job.returncode = _pytest(args.python, job, job.paths, job.junit, out / f"{job.run}-{job.name}.log")
            job.wall = time.monotonic() - begin
            counts = Counter(outcome for outcome, _ in _outcomes(job.junit, job.rootdir).values())
            with print_lock:
                print(f"  {job.run:>15} {job.name:<13} {job.wall:7.1f} s  {dict(counts)}", flush=True)

        jobs.sort(key=lambda job: -job.weight)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(execute, jobs))

        # Reruns: each failed test up to RERUNS more times, alone, in baseline and plugin runs
        # alike (pynenc's timing tests flake on 2 cores, more so when the machine is busy).
        reruns: dict[str, dict[str, tuple[str, str]]] = {}
        for job in jobs:
            outcomes = _outcomes(job.junit, job.rootdir)
            failed = [node for node, (outcome, _) in outcomes.items() if outcome == "failed"]
            for node in failed:
                for _attempt in range(RERUNS):
                    junit = out / f"rerun-{job.run}-{len(reruns.get(job.run, {}))}-{_attempt}.xml"
                    _pytest(args.python, job, [node], junit, junit.with_suffix(".log"), rerun=True)
                    rerun = _outcomes(junit, job.rootdir).get(node)
                    if rerun is None:
                        break
                    print(f"  rerun {job.run}: {node} -> {rerun[0]}", flush=True)
                    if rerun[0] != "failed":
                        break
                if rerun is not None:
                    reruns.setdefault(job.run, {})[node] = rerun
    finally:
        for service in services.values():
            service.stop()

    # Merge per run.
    results: dict[str, dict[str, tuple[str, str]]] = {}
    first_try_failed: dict[str, list[str]] = {}
    for job in jobs:
        outcomes = _outcomes(job.junit, job.rootdir)
        if job.returncode not in (0, 1) or not outcomes:
            results.setdefault(job.run, {})[f"<{job.name} job>"] = ("failed", f"pytest exited {job.returncode}")
        for node, outcome in outcomes.items():
            if outcome[0] == "failed":
                first_try_failed.setdefault(job.run, []).append(node)
            results.setdefault(job.run, {})[node] = reruns.get(job.run, {}).get(node, outcome)

    problems: list[str] = []
    summary: dict[str, object] = {"runs": {}, "expected_failures": sorted(EXPECTED_FAILURES)}
    baseline = results.get("baseline", {})
    for run, outcomes in results.items():
        counts = Counter(outcome for outcome, _ in outcomes.values())
        walls = {job.name: round(job.wall, 1) for job in jobs if job.run == run}
        entry: dict[str, object] = {
            "counts": dict(counts),
            "wall_seconds": walls,
            "failed": sorted(n for n, (o, _) in outcomes.items() if o == "failed"),
            "failed_first_try": sorted(first_try_failed.get(run, [])),
        }
        if run in stores and baseline:
            for node in sorted(set(outcomes) | set(baseline)):
                mine, theirs = outcomes.get(node, ("missing", ""))[0], baseline.get(node, ("missing", ""))[0]
                if mine == theirs and (mine != "failed" or node in EXPECTED_FAILURES):
                    continue
                if mine == "passed" and theirs == "failed":
                    # The plugin passed what pynenc's own backend failed (twice): not a regression
                    # of the plugin; reported, and the baseline's failure is listed as a note.
                    entry.setdefault("passed_where_baseline_failed", []).append(node)  # type: ignore[union-attr]
                    continue
                problems.append(f"{run}: {node}: plugin {mine}, baseline {theirs}")
            reports = sorted(out.glob(f"{run}-revision-*.json"))
            revision = [json.loads(path.read_text()) for path in reports]
            entry["service_revision"] = revision
            if not revision or not all(r["tests_that_wrote"] > 0 and r["final_revision"] > 0 for r in revision):
                problems.append(f"{run}: the service's revision did not grow: {revision}")
        elif run == "baseline":
            for node, (outcome, _) in outcomes.items():
                if outcome == "failed" and node not in EXPECTED_FAILURES:
                    entry.setdefault("unexpected_failures", []).append(node)  # type: ignore[union-attr]
        else:  # service tests and unit tests must pass
            for node, (outcome, message) in outcomes.items():
                if outcome == "failed":
                    problems.append(f"{run}: {node} failed: {message}")
        summary["runs"][run] = entry  # type: ignore[index]

    total = time.monotonic() - started
    summary["wall_seconds_total"] = round(total, 1)
    summary["problems"] = problems
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")

    print(f"\n{'run':>15}  passed skipped failed  wall (s)")
    for run, entry in summary["runs"].items():  # type: ignore[union-attr]
        counts = entry["counts"]
        walls = " + ".join(f"{name} {wall}" for name, wall in entry["wall_seconds"].items())
        print(
            f"{run:>15}  {counts.get('passed', 0):6} {counts.get('skipped', 0):7} {counts.get('failed', 0):6}  {walls}"
        )
    unexpected_baseline = [
        f"baseline: {n} (not in EXPECTED_FAILURES)"
        for n in summary["runs"].get("baseline", {}).get("unexpected_failures", [])  # type: ignore[union-attr]
    ]
    for line in unexpected_baseline:
        print(f"note: {line}")
    print(f"total wall time {total:.1f} s; results in {out}")
    if problems:
        print("\nPROBLEMS:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print("pynenc suites: plugin matches the baseline on every store")
    return 0


if __name__ == "__main__":
    sys.exit(main())
