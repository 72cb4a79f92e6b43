"""Settings of the pynenc apps the tests start."""

from __future__ import annotations

from pathlib import Path


def plugin_sqlite_env(namespace: str, status_address: str, db_path: Path, runner_cls: str) -> dict[str, str]:
    """The PYNENC__* settings of an app whose statuses are in the service and the rest in pynenc's
    SQLite backends at ``db_path``: the integrity and SIGKILL tests add their own."""
    return {
        "PYNENC__APP_ID": namespace,
        "PYNENC__ORCHESTRATOR_CLS": "PynencStatusSQLiteOrchestrator",
        "PYNENC__BROKER_CLS": "SQLiteBroker",
        "PYNENC__STATE_BACKEND_CLS": "SQLiteStateBackend",
        "PYNENC__CLIENT_DATA_STORE_CLS": "SQLiteClientDataStore",
        "PYNENC__TRIGGER_CLS": "SQLiteTrigger",
        "PYNENC__RUNNER_CLS": runner_cls,
        "PYNENC__SQLITE_DB_PATH": str(db_path),
        "PYNENC__PYNENC_STATUS_ADDRESS": status_address,
    }
