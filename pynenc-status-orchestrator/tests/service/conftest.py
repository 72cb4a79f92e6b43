"""The service these tests talk to: PYNENC_STATUS_TEST_ADDRESS (tests/run_suites.py starts one per
store and sets it), or, when it is unset, a memory-store server started for the session.

The tests pass the address to each app they build; PYNENC__PYNENC_STATUS_ADDRESS is removed from
the environment, because pynenc lets env vars win over builder values."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.servers import start_service

os.environ.pop("PYNENC__PYNENC_STATUS_ADDRESS", None)


@pytest.fixture(scope="session")
def status_address() -> Iterator[str]:
    address = os.environ.get("PYNENC_STATUS_TEST_ADDRESS")
    if address:
        yield address
        return
    service = start_service("memory")
    try:
        yield service.address
    finally:
        service.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of its own for each test (the service outlives tests)."""
    return f"plugin-test-{uuid.uuid4().hex[:12]}"
