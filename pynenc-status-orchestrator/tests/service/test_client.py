"""The plugin's client and orchestrator methods against a real server (no fakes)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from harness.servers import free_port
from pynenc import PynencBuilder
from pynenc.call import Call
from pynenc.exceptions import InvocationStatusOwnershipError, InvocationStatusTransitionError
from pynenc.invocation import DistributedInvocation, InvocationStatus

from pynenc_status_orchestrator import PynencStatusMemOrchestrator, PynencStatusSQLiteOrchestrator
from pynenc_status_orchestrator.errors import PynencStatusError

_placeholder = PynencBuilder().app_id("plugin-client-placeholder").memory().build()


@_placeholder.task
def job(value: int) -> int:
    return value


def _app(address: str, namespace: str, kind: str = "memory", db: str = ""):
    builder = PynencBuilder().app_id(namespace)
    builder = builder.memory() if kind == "memory" else builder.sqlite(db)
    app = builder.pynenc_status(address).build()
    job.app = app
    return app


def _register(app, count: int) -> list[str]:
    invocations = [DistributedInvocation.isolated(Call(job, job.args(i))) for i in range(count)]
    app.orchestrator._register_new_invocations(invocations)
    return [invocation.invocation_id for invocation in invocations]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_builder_picks_the_plugin_class(status_address: str, namespace: str, kind: str, tmp_path) -> None:
    app = _app(status_address, namespace, kind, str(tmp_path / "a.db"))
    expected = PynencStatusMemOrchestrator if kind == "memory" else PynencStatusSQLiteOrchestrator
    assert type(app.orchestrator) is expected
    assert app.orchestrator.status_namespace == namespace


def test_errors_are_pynencs_exceptions(status_address: str, namespace: str) -> None:
    app = _app(status_address, namespace)
    orchestrator = app.orchestrator
    (invocation_id,) = _register(app, 1)
    orchestrator._atomic_status_transition(invocation_id, InvocationStatus.PENDING, "runner-a")
    orchestrator._atomic_status_transition(invocation_id, InvocationStatus.RUNNING, "runner-a")
    with pytest.raises(InvocationStatusOwnershipError) as ownership:
        orchestrator._atomic_status_transition(invocation_id, InvocationStatus.SUCCESS, "runner-b")
    assert ownership.value.from_status == InvocationStatus.RUNNING
    assert ownership.value.to_status == InvocationStatus.SUCCESS
    assert ownership.value.current_owner == "runner-a"
    assert ownership.value.attempted_owner == "runner-b"
    with pytest.raises(InvocationStatusTransitionError) as transition:
        orchestrator._atomic_status_transition(invocation_id, InvocationStatus.REGISTERED, "runner-a")
    assert transition.value.from_status == InvocationStatus.RUNNING
    assert transition.value.to_status == InvocationStatus.REGISTERED
    assert transition.value.allowed_statuses == frozenset(
        {
            InvocationStatus.PAUSED,
            InvocationStatus.KILLED,
            InvocationStatus.RETRY,
            InvocationStatus.SUCCESS,
            InvocationStatus.FAILED,
            InvocationStatus.RUNNING_RECOVERY,
        }
    )
    record = orchestrator._atomic_status_transition(invocation_id, InvocationStatus.SUCCESS, "runner-a")
    assert record.status == InvocationStatus.SUCCESS and record.runner_id is None
    with pytest.raises(InvocationStatusTransitionError) as final:
        orchestrator._atomic_status_transition(invocation_id, InvocationStatus.RUNNING, "runner-a")
    assert final.value.allowed_statuses == frozenset()
    with pytest.raises(KeyError):
        orchestrator.get_invocation_status_record("no-such-invocation")
    with pytest.raises(KeyError):
        orchestrator._atomic_status_transition("no-such-invocation", InvocationStatus.PENDING, "runner-a")


def test_registering_twice_is_a_no_op(status_address: str, namespace: str) -> None:
    app = _app(status_address, namespace)
    ids = _register(app, 3)
    app.orchestrator._atomic_status_transition(ids[0], InvocationStatus.PENDING, "runner-a")
    invocations = [app.state_backend.get_invocation(i) for i in ids]
    app.orchestrator._register_new_invocations(invocations)  # all three again, in one batch
    app.orchestrator._register_new_invocations(invocations[:1])  # and one alone
    assert app.orchestrator.get_invocation_status(ids[0]) == InvocationStatus.PENDING
    assert app.orchestrator.count_invocations() == 3


def test_lists_counts_and_filters(status_address: str, namespace: str) -> None:
    app = _app(status_address, namespace)
    orchestrator = app.orchestrator
    ids = _register(app, 1500)  # two BatchTransitions
    assert orchestrator.count_invocations() == 1500
    assert orchestrator.count_invocations(task_id=job.task_id) == 1500
    newest_first = orchestrator.get_invocation_ids_paginated(limit=2000)
    assert newest_first == list(reversed(ids))
    assert orchestrator.get_invocation_ids_paginated(limit=3, offset=2) == list(reversed(ids))[2:5]
    for invocation_id in ids[:5]:
        orchestrator._atomic_status_transition(invocation_id, InvocationStatus.PENDING, "r")
    assert orchestrator.count_invocations(statuses=[InvocationStatus.PENDING]) == 5
    assert set(orchestrator.get_existing_invocations(job, statuses=[InvocationStatus.PENDING])) == set(ids[:5])
    asked = [*ids[3:8], "unknown-id", ids[3]]
    assert orchestrator.filter_by_status(asked, frozenset({InvocationStatus.PENDING})) == [ids[3], ids[4], ids[3]]
    assert orchestrator.filter_by_status(asked, frozenset({InvocationStatus.REGISTERED})) == ids[5:8]
    # More than one BatchGet's worth.
    assert len(orchestrator.filter_by_status(ids, frozenset({InvocationStatus.REGISTERED}))) == 1495


def test_namespaces_are_apart_and_purge_empties_one(status_address: str, namespace: str) -> None:
    first = _app(status_address, namespace)
    _register(first, 4)
    second = _app(status_address, namespace + "-other")
    _register(second, 2)
    assert first.orchestrator.count_invocations() == 4
    assert second.orchestrator.count_invocations() == 2
    first.orchestrator.register_runner_heartbeats(["r1"])
    first.purge()
    assert first.orchestrator.count_invocations() == 0
    assert first.orchestrator._get_active_runners(600, None) == []
    assert second.orchestrator.count_invocations() == 2


def test_runners_in_creation_order_with_filters(status_address: str, namespace: str) -> None:
    orchestrator = _app(status_address, namespace).orchestrator
    orchestrator.register_runner_heartbeats(["b"], can_run_atomic_service=True, consumed_queues=["q1"])
    time.sleep(0.005)
    orchestrator.register_runner_heartbeats(["a", "c"])
    runners = orchestrator._get_active_runners(600, None)
    assert [r.runner_id for r in runners] == ["b", "a", "c"]
    assert runners[0].consumed_queues == ("q1",) and runners[0].allow_to_run_atomic_service
    assert [r.runner_id for r in orchestrator._get_active_runners(600, True)] == ["b"]
    orchestrator.register_runner_heartbeats(["b"])  # queues unset: kept
    assert orchestrator._get_active_runners(600, None)[0].consumed_queues == ("q1",)
    time.sleep(0.01)
    assert orchestrator._get_active_runners(0.0, None) == []


def test_a_dead_replica_in_the_list_is_skipped(status_address: str, namespace: str) -> None:
    dead = f"127.0.0.1:{free_port()}"
    app = _app(f"{dead},{status_address}", namespace)
    ids = _register(app, 2)
    for _ in range(6):  # round robin reaches the dead address several times
        assert app.orchestrator.get_invocation_status(ids[0]) == InvocationStatus.REGISTERED


def test_nothing_listening_is_a_clear_error(namespace: str) -> None:
    app = PynencBuilder().app_id(namespace).memory().pynenc_status(f"127.0.0.1:{free_port()}", timeout_sec=0.5).build()
    with pytest.raises(PynencStatusError, match="unavailable after"):
        app.orchestrator.count_invocations()


def test_a_forked_child_uses_its_own_channel(status_address: str, namespace: str) -> None:
    app = _app(status_address, namespace)
    ids = _register(app, 4)  # the parent has used its channel
    children = []
    for index, invocation_id in enumerate(ids):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                app.orchestrator._atomic_status_transition(invocation_id, InvocationStatus.PENDING, f"child-{index}")
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    # The parent's channel still works, and sees the children's writes.
    assert app.orchestrator.count_invocations(statuses=[InvocationStatus.PENDING]) == 4


def _wait_or_kill(pid: int, timeout: float) -> int | None:
    """The child's exit code, or None when it had not exited within ``timeout`` (then it is killed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_fork_while_another_thread_is_calling_leaves_the_child_working(status_address: str, namespace: str) -> None:
    # pynenc's ProcessRunner forks from its runner thread while other threads poll the service;
    # a child forked in the middle of another thread's call used to hang in gRPC's fork handler.
    app = _app(status_address, namespace)
    ids = _register(app, 30)
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            app.orchestrator.filter_final(ids)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    outcomes = []
    try:
        for index, invocation_id in enumerate(ids):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                code = 1
                try:
                    app.orchestrator._atomic_status_transition(
                        invocation_id, InvocationStatus.PENDING, f"child-{index}"
                    )
                    code = 0
                finally:
                    os._exit(code)
            outcomes.append(_wait_or_kill(pid, 10.0))
            if outcomes[-1] is None:
                break  # one hung child is enough to know
    finally:
        stop.set()
        poller.join(10)
    assert outcomes == [0] * len(ids)
    assert app.orchestrator.count_invocations(statuses=[InvocationStatus.PENDING]) == len(ids)
