"""A runner process killed with SIGKILL mid-task: pynenc's own recovery, fed by the service's
ListRecoveryCandidates(DEAD_RUNNER), reroutes the invocation and another runner finishes it.

The server runs with ``--recovery off``: recovery is pynenc's core task recover_running_invocations,
run by a live runner; the plugin only answers "which RUNNING invocations have a dead owner" from the
service's heartbeats and records.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness.app_env import plugin_sqlite_env
from pynenc.invocation import InvocationStatus
from pynenc_status.v1 import status_pb2

from pynenc_status_orchestrator.convert import from_proto_status

HERE = Path(__file__).resolve().parent


def _wait(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def app_env(status_address: str, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        **plugin_sqlite_env(namespace, status_address, tmp_path / "app.db", "ThreadRunner"),
        "PYNENC__RUNNER_LOOP_SLEEP_TIME_SEC": "0.05",
        "PYNENC__INVOCATION_WAIT_RESULTS_SLEEP_TIME_SEC": "0.05",
        # A runner silent for 3 s is dead; the recovery core task may run every minute, and the
        # atomic-service slot is checked often, as pynenc's own recovery tests configure it.
        "PYNENC__RUNNER_CONSIDERED_DEAD_AFTER_MINUTES": "0.05",
        "PYNENC__RECOVER_RUNNING_INVOCATIONS_CRON": "* * * * *",
        "PYNENC__ATOMIC_SERVICE_INTERVAL_MINUTES": "0.1",
        "PYNENC__ATOMIC_SERVICE_MAX_START_SLOT_FRACTION": "1.0",
        "PYNENC__ATOMIC_SERVICE_SPREAD_MARGIN_MINUTES": "0.0",
        "PYNENC__ATOMIC_SERVICE_CHECK_INTERVAL_MINUTES": "0.01",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(HERE))
    return env


@pytest.fixture
def runners(app_env: dict[str, str]) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        log = open(Path(app_env["PYNENC__SQLITE_DB_PATH"]).with_name(f"{name}.log"), "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-c", "import sigkill_app; sigkill_app.app.runner.run()"],
            cwd=HERE,
            env={**os.environ, **app_env, "PYTHONPATH": str(HERE)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_killed_runner_invocation_is_recovered_and_finished_by_another(
    app_env: dict[str, str], namespace: str, tmp_path: Path, runners: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    import sigkill_app

    app = sigkill_app.app
    app._reset_cached_components()
    marker = tmp_path / "first-attempt"
    invocation = sigkill_app.slow_once(str(marker))
    invocation_id = invocation.invocation_id

    first = runners("runner-a")
    _wait("runner A to start the task", marker.exists, 60)
    _wait(
        "the invocation to be RUNNING",
        lambda: app.orchestrator.get_invocation_status(invocation_id) == InvocationStatus.RUNNING,
        30,
    )
    killed_owner = app.orchestrator.get_invocation_status_record(invocation_id).runner_id
    assert killed_owner
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    second = runners("runner-b")
    _wait(
        "another runner to finish the invocation",
        lambda: app.orchestrator.get_invocation_status(invocation_id) == InvocationStatus.SUCCESS,
        150,
    )
    assert invocation.result == f"finished by pid {second.pid}"
    assert marker.read_text() == str(first.pid)

    history = app.orchestrator.status_client.call(
        "GetHistory", status_pb2.GetHistoryRequest(namespace=namespace, invocation_id=invocation_id)
    )
    steps = [(from_proto_status(entry.record.status), entry.record.runner_id) for entry in history.entries]
    statuses = [status for status, _ in steps]
    assert InvocationStatus.RUNNING_RECOVERY in statuses, steps
    recovery = statuses.index(InvocationStatus.RUNNING_RECOVERY)
    assert statuses[recovery + 1] == InvocationStatus.REROUTED, steps
    assert statuses[-1] == InvocationStatus.SUCCESS, steps
    owners = [owner for status, owner in steps if status == InvocationStatus.RUNNING]
    assert owners[0] == killed_owner and owners[-1] != killed_owner, steps
