"""Does adopting the plugin slow a pynenc app down? Two measures, each both ways, same machine, same run.

1. Throughput: one app, ``TASKS`` trivial tasks registered with ``parallelize`` and run by a
   ProcessRunner, on pynenc's built-in SQLite components, then the same app with the plugin (the
   SQLite components plus pynenc-status on its SQLite store). Tasks finished per second, best of
   ``ROUNDS`` rounds each way, rounds interleaved.
2. pynenc 0.4.0's integration/combinations suite, wall time, built-in then plugin (one pytest
   process each, run one after the other).

Prints a Markdown table (``npm run bench -- pynenc`` runs it). Env: BENCH_PYNENC_TASKS (60),
BENCH_PYNENC_ROUNDS (2), BENCH_PYNENC_SUITE=0 to skip the suite part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

from harness.servers import start_service

TASKS = int(os.environ.get("BENCH_PYNENC_TASKS", "60"))
ROUNDS = int(os.environ.get("BENCH_PYNENC_ROUNDS", "2"))

# pynenc 0.4's ProcessRunner forks one child per invocation from a process that has threads (the
# runner's and the caller's); with fork, children deadlock on this machine (the built-in SQLite
# run stalls after a few tasks, as pynenc's own test_status_owner_match_a_runner_id does, REPORT.md
# §8). The bench starts children with spawn, as pynenc's PersistentProcessRunner does, both ways.
THROUGHPUT_CHILD = r"""
import json, multiprocessing, sys, threading, time
multiprocessing.set_start_method("spawn", force=True)
sys.path.insert(0, sys.argv[1])
import bench_app
app = bench_app.app
tasks = int(sys.argv[2])
runner = threading.Thread(target=app.runner.run, daemon=True)
runner.start()
start = time.perf_counter()
group = bench_app.add.parallelize([(i, i) for i in range(tasks)])
results = list(group.results)
elapsed = time.perf_counter() - start
assert sorted(results) == [2 * i for i in range(tasks)], results[:5]
app.runner.stop_runner_loop()
print(json.dumps({"seconds": elapsed, "orchestrator": type(app.orchestrator).__name__}))
"""


def _app_env(plugin: bool, db: Path, address: str) -> dict[str, str]:
    env = {
        "PYNENC__APP_ID": f"bench-{db.stem}",
        "PYNENC__ORCHESTRATOR_CLS": "PynencStatusSQLiteOrchestrator" if plugin else "SQLiteOrchestrator",
        "PYNENC__BROKER_CLS": "SQLiteBroker",
        "PYNENC__STATE_BACKEND_CLS": "SQLiteStateBackend",
        "PYNENC__CLIENT_DATA_STORE_CLS": "SQLiteClientDataStore",
        "PYNENC__TRIGGER_CLS": "SQLiteTrigger",
        "PYNENC__RUNNER_CLS": "ProcessRunner",
        "PYNENC__SQLITE_DB_PATH": str(db),
        "PYNENC__LOGGING_LEVEL": "warning",
        "PYNENC__RUNNER_LOOP_SLEEP_TIME_SEC": "0.01",
        "PYNENC__INVOCATION_WAIT_RESULTS_SLEEP_TIME_SEC": "0.01",
    }
    if plugin:
        env["PYNENC__PYNENC_STATUS_ADDRESS"] = address
    return env


def throughput(plugin: bool, work: Path, address: str, round_: int) -> float:
    db = work / f"{'plugin' if plugin else 'builtin'}-{round_}.db"
    env = {**os.environ, **_app_env(plugin, db, address)}
    out = subprocess.run(
        [sys.executable, "-c", THROUGHPUT_CHILD, str(HERE), str(TASKS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"throughput run failed:\n{out.stdout}\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    expected = "PynencStatusSQLiteOrchestrator" if plugin else "SQLiteOrchestrator"
    assert result["orchestrator"] == expected, result
    return TASKS / result["seconds"]


def combinations(plugin: bool, address: str, work: Path) -> tuple[float, dict[str, int]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYNENC_STATUS_SUITE_MODE"] = "plugin" if plugin else "baseline"
    env["PYNENC__PYNENC_STATUS_ADDRESS"] = address if plugin else ""
    junit = work / f"combinations-{'plugin' if plugin else 'builtin'}.xml"
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={junit}",
            "integration/combinations",
        ],
        cwd=TESTS / "suites",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    seconds = time.perf_counter() - start
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    return seconds, counts


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="pynenc-bench-"))
    service = start_service("sqlite", "--log-level", "warn")
    try:
        print(
            f"pynenc bench: {TASKS} tasks x {ROUNDS} rounds, ProcessRunner (spawn), service on {service.store} store",
            flush=True,
        )
        builtin, plugin = [], []
        for round_ in range(ROUNDS):
            builtin.append(throughput(False, work, service.address, round_))
            plugin.append(throughput(True, work, service.address, round_))
            print(f"  round {round_}: built-in {builtin[-1]:.2f} tasks/s, plugin {plugin[-1]:.2f} tasks/s", flush=True)
        best_builtin, best_plugin = max(builtin), max(plugin)
        print()
        print("| pynenc app (ProcessRunner, SQLite components) | tasks/s (best) | all rounds | wall time vs built-in |")
        print("|---|---|---|---|")
        print(
            f"| built-in SQLiteOrchestrator | {best_builtin:.2f} | {', '.join(f'{x:.2f}' for x in builtin)} | 1.00x |"
        )
        print(
            f"| PynencStatusSQLiteOrchestrator | {best_plugin:.2f} | {', '.join(f'{x:.2f}' for x in plugin)} | "
            f"{best_builtin / best_plugin:.2f}x |"
        )
        if os.environ.get("BENCH_PYNENC_SUITE", "1") != "0":
            base_seconds, base_counts = combinations(False, service.address, work)
            plugin_seconds, plugin_counts = combinations(True, service.address, work)
            print()
            print(
                "| integration/combinations (151 tests) | wall time (s) | tests/failures/errors/skipped | vs built-in |"
            )
            print("|---|---|---|---|")
            print(f"| built-in | {base_seconds:.1f} | {'/'.join(map(str, base_counts.values()))} | 1.00x |")
            print(
                f"| plugin | {plugin_seconds:.1f} | {'/'.join(map(str, plugin_counts.values()))} | "
                f"{plugin_seconds / base_seconds:.2f}x |"
            )
    finally:
        service.stop()


if __name__ == "__main__":
    main()
