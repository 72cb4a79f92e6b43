"""pynenc 0.4.0's shared suites, wired as pynenc's plugin repos wire them.

The same test files run twice (tests/run_suites.py starts both):

- ``PYNENC_STATUS_SUITE_MODE=baseline``: pynenc's own fixtures, unchanged: the built-in memory and
  SQLite backends. This is the baseline the plugin's results are compared with.
- ``PYNENC_STATUS_SUITE_MODE=plugin``: the fixtures ``app_instance`` and
  ``app_combination_instance`` are overridden, as plugin repos do, to build the same apps with the
  plugin's orchestrators (``PynencStatusMemOrchestrator`` for memory, ``PynencStatusSQLiteOrchestrator``
  for SQLite) against the service at ``PYNENC__PYNENC_STATUS_ADDRESS`` (inherited by runner
  subprocesses). Each ``app_instance`` gets its own app_id, so its own service namespace: the
  service outlives a test while the baseline gets a new temporary database per test, and runner
  threads that pynenc's tests leave running must not reach the next test's invocations.
  An autouse fixture checks that every app a test used really had the plugin's orchestrator, and
  the session checks that the service's revision grew.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

pytest_plugins = [
    "pynenc_tests.conftest",
    "pynenc_tests.integration.combinations.conftest",
    "pynenc_tests.integration.orchestrator.conftest",
]

MODE = os.environ.get("PYNENC_STATUS_SUITE_MODE", "plugin")
if MODE not in ("plugin", "baseline"):
    raise RuntimeError(f"PYNENC_STATUS_SUITE_MODE must be plugin or baseline, not {MODE!r}")

if TYPE_CHECKING:
    from _pytest.fixtures import FixtureRequest
    from _pytest.monkeypatch import MonkeyPatch
    from pynenc import Pynenc


if MODE == "plugin":
    from pynenc import Pynenc, PynencBuilder
    from pynenc.orchestrator import MemOrchestrator, SQLiteOrchestrator
    from pynenc.orchestrator.base_orchestrator import BaseOrchestrator
    from pynenc.util.subclasses import get_subclass
    from pynenc_status.v1 import status_pb2
    from pynenc_tests import util
    from pynenc_tests.integration.combinations.conftest import AppComponents, build_test_combinations

    from pynenc_status_orchestrator import PynencStatusMemOrchestrator, PynencStatusSQLiteOrchestrator
    from pynenc_status_orchestrator.client import client_for
    from pynenc_status_orchestrator.config import ClientSettings, ConfigPynencStatus

    if not os.environ.get("PYNENC__PYNENC_STATUS_ADDRESS"):
        raise RuntimeError("plugin mode needs PYNENC__PYNENC_STATUS_ADDRESS (tests/run_suites.py sets it)")

    PLUGIN_CLASSES = (PynencStatusMemOrchestrator, PynencStatusSQLiteOrchestrator)
    _SESSION_TAG = uuid.uuid4().hex[:8]
    _app_ids = itertools.count(1)
    _revisions: dict[str, Any] = {"tests_that_wrote": 0, "tests_checked": 0, "apps_checked": 0}

    def _service_revision() -> int:
        client = client_for(ClientSettings.from_conf(ConfigPynencStatus()))
        # The store's revision (one counter for every namespace) comes with any count.
        response = client.call("CountInvocations", status_pb2.CountInvocationsRequest(namespace=""))
        return int(response.revision)

    def _unique_app_id() -> str:
        return f"pynenc-{_SESSION_TAG}-{next(_app_ids)}"

    @pytest.fixture(params=["memory", "sqlite"], scope="function")
    def app_instance(request: FixtureRequest, temp_sqlite_db_path: str) -> Pynenc:
        """pynenc's app_instance (memory and SQLite), each with the plugin's orchestrator."""
        builder = PynencBuilder().app_id(_unique_app_id())
        if request.param == "memory":
            builder = builder.memory()
        elif request.param == "sqlite":
            builder = builder.sqlite(sqlite_db_path=str(temp_sqlite_db_path))
        else:
            raise ValueError(f"Unknown app backend: {request.param}")
        return builder.pynenc_status().build()

    #: pynenc's orchestrator class -> the plugin's class with that delegate.
    _PLUGIN_CLASS_OF = {
        MemOrchestrator: PynencStatusMemOrchestrator,
        SQLiteOrchestrator: PynencStatusSQLiteOrchestrator,
    }

    @pytest.fixture(params=build_test_combinations(), ids=lambda comp: comp.combination_id)
    def app_combination_instance(request: FixtureRequest, monkeypatch: MonkeyPatch, temp_sqlite_db_path: str) -> Pynenc:
        """pynenc's combinations (same ids), configured through env vars as upstream does, with
        the orchestrator class swapped for the plugin's (runner subprocesses inherit the env)."""
        components: AppComponents = request.param
        test_module, test_name = util.get_module_name(request)
        monkeypatch.setenv("PYNENC__APP_ID", f"{test_module}.{test_name}")
        monkeypatch.setenv("PYNENC__CLIENT_DATA_STORE_CLS", components.client_data_store.__name__)
        monkeypatch.setenv("PYNENC__ORCHESTRATOR_CLS", _PLUGIN_CLASS_OF[components.orchestrator].__name__)
        monkeypatch.setenv("PYNENC__BROKER_CLS", components.broker.__name__)
        monkeypatch.setenv("PYNENC__SERIALIZER_CLS", components.serializer.__name__)
        monkeypatch.setenv("PYNENC__STATE_BACKEND_CLS", components.state_backend.__name__)
        monkeypatch.setenv("PYNENC__TRIGGER_CLS", components.trigger.__name__)
        monkeypatch.setenv("PYNENC__RUNNER_CLS", components.runner.__name__)
        monkeypatch.setenv("PYNENC__LOGGING_LEVEL", "debug")
        monkeypatch.setenv("PYNENC__PRINT_ARGUMENTS", "False")
        monkeypatch.setenv("PYNENC__RUNNER_LOOP_SLEEP_TIME_SEC", "0.01")
        monkeypatch.setenv("PYNENC__INVOCATION_WAIT_RESULTS_SLEEP_TIME_SEC", "0.01")
        if components.family.is_sqlite:
            monkeypatch.setenv("PYNENC__SQLITE_DB_PATH", temp_sqlite_db_path)
        return Pynenc()

    def _orchestrator_class(app: Pynenc) -> type:
        # The instance if the test made one; else the class the app would make (no new instance
        # at teardown, whose SQLite file may be gone already).
        if app._orchestrator is not None:
            return type(app._orchestrator)
        return get_subclass(BaseOrchestrator, app.conf.orchestrator_cls)  # type: ignore[type-abstract]

    @pytest.fixture(autouse=True)
    def _uses_pynenc_status(request: FixtureRequest) -> Generator[None, None, None]:
        """Every app a test got from the overridden fixtures has the plugin's orchestrator."""
        before = _service_revision()
        yield
        apps = [
            value
            for name, value in request.node.funcargs.items()
            if name in ("app_instance", "app_combination_instance") and isinstance(value, Pynenc)
        ]
        for app in apps:
            cls = _orchestrator_class(app)
            assert issubclass(cls, PLUGIN_CLASSES), f"{request.node.nodeid}: the app's orchestrator is {cls.__name__}"
            _revisions["apps_checked"] += 1
        _revisions["tests_checked"] += 1
        if _service_revision() > before:
            _revisions["tests_that_wrote"] += 1

    def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
        report = os.environ.get("PYNENC_STATUS_SUITE_REPORT")
        if report:
            with open(report, "w", encoding="utf-8") as file:
                json.dump({**_revisions, "final_revision": _service_revision()}, file)
