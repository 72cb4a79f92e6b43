"""pynenc's integration/orchestrator/test_status_transitions_integrity.py, ported to the plugin.

Upstream builds its own SQLite app at import time, so under a plugin it still tests pynenc's built-in
orchestrator (it runs unchanged in the shared suites too). Here the same app, the same
PersistentProcessRunner with 20 worker processes and the same task hierarchy (grandparent -> parent
-> child, exercising PAUSED -> RUNNING while a task waits on its children) run with the plugin, and
two histories are checked against pynenc's state machine:

- pynenc's own (the state backend's), with pynenc's ``check_all_status_transitions``, which walks
  the invocations through the plugin's count_invocations and get_invocation_ids_paginated;
- the service's GetHistory of every invocation, in revision order: each change must be allowed from
  the previous one (registration first), and its statuses must be pynenc's history's statuses.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from harness.app_env import plugin_sqlite_env
from pynenc.exceptions import InvocationStatusTransitionError
from pynenc.invocation.status import validate_transition
from pynenc_status.v1 import status_pb2
from pynenc_tests.conftest import check_all_status_transitions

from pynenc_status_orchestrator.convert import from_proto_status

HERE = Path(__file__).resolve().parent


@pytest.fixture
def integrity_app(status_address: str, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key, value in {
        **plugin_sqlite_env(namespace, status_address, tmp_path / "integrity.db", "PersistentProcessRunner"),
        "PYNENC__NUM_PROCESSES": "20",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(HERE))
    import integrity_app as module

    module.app._reset_cached_components()
    return module


def test_status_transitions(integrity_app) -> None:
    app = integrity_app.app
    assert type(app.orchestrator).__name__ == "PynencStatusSQLiteOrchestrator"
    assert type(app.runner).__name__ == "PersistentProcessRunner"
    app.purge()
    worker = threading.Thread(target=app.runner.run, daemon=True)
    worker.start()
    try:
        grandparent = integrity_app.grandparent_task
        invs_0 = grandparent.parallelize([("familyA", 2), ("familyB", 3)])
        invs_1 = grandparent.parallelize([("familyC", 4), ("familyD", 1)])
        inv_2 = grandparent("familyE", 2)
        _ = list(invs_0.results)
        _ = list(invs_1.results)
        _ = inv_2.result

        check_all_status_transitions(app)
        _check_service_histories(app)
    finally:
        app.runner.stop_runner_loop()


def integrity_app_module(app):
    import integrity_app

    assert integrity_app.app is app
    return integrity_app


def _check_service_histories(app) -> None:
    orchestrator = app.orchestrator
    # 5 grandparents, 12 parents, 2*2 + 3*3 + 4*4 + 1 + 2*2 children (the runner's own core tasks,
    # such as recovery, may add invocations of theirs: they are checked below too).
    module = integrity_app_module(app)
    assert orchestrator.count_invocations(task_id=module.grandparent_task.task_id) == 5
    assert orchestrator.count_invocations(task_id=module.parent_task.task_id) == 12
    assert orchestrator.count_invocations(task_id=module.child_task.task_id) == 34
    total = orchestrator.count_invocations()
    ids = orchestrator.get_invocation_ids_paginated(limit=1000)
    assert len(ids) == total >= 51
    our_tasks = {task.task_id.key for task in (module.grandparent_task, module.parent_task, module.child_task)}
    violations = []
    for invocation_id in ids:
        response = orchestrator.status_client.call(
            "GetHistory",
            status_pb2.GetHistoryRequest(namespace=orchestrator.status_namespace, invocation_id=invocation_id),
        )
        entries = list(response.entries)
        revisions = [entry.record.revision for entry in entries]
        assert revisions == sorted(revisions), invocation_id
        previous = None
        for entry in entries:
            status = from_proto_status(entry.record.status)
            stated = from_proto_status(entry.previous_status) if entry.previous_status else None
            if stated != previous:
                violations.append(f"{invocation_id}: entry says from {stated}, the one before was {previous}")
            try:
                validate_transition(previous, status)
            except InvocationStatusTransitionError as error:
                violations.append(f"{invocation_id}: {previous} -> {status}: {error}")
            previous = status
        ours_task = entries[0].record.task_id in our_tasks
        assert previous is not None and (previous.is_final() or not ours_task), f"{invocation_id} ended in {previous}"
        ours = Counter(from_proto_status(entry.record.status) for entry in entries)
        theirs = Counter(item.status_record.status for item in app.state_backend.get_history(invocation_id))
        if ours_task and ours != theirs:  # a core task may be between its transition and its history
            violations.append(f"{invocation_id}: service history {dict(ours)}, pynenc history {dict(theirs)}")
    assert violations == []
