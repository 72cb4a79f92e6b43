"""The gRPC client of the plugin: one channel per address per process, deadlines, retries.

- **Per process.** pynenc's ProcessRunner forks and PersistentProcessRunner spawns; a gRPC channel
  must not cross a fork. Channels are kept per ``os.getpid()`` and a child makes its own on first
  use (the parent's are dropped in the child, never closed there). gRPC's fork support is turned
  on (``GRPC_ENABLE_FORK_SUPPORT``, set in this package's ``__init__`` before grpc is imported),
  which lets gRPC's threads survive a fork of a process that has used them. It needs no call in
  flight at the fork (a child forked during another thread's call hangs in gRPC's fork handler):
  a fork waits for the calls in flight to end, and new calls wait for the fork (``_ForkGate``).
- **Deadlines.** Every call has one: ``pynenc_status_timeout_sec``.
- **Retries.** UNAVAILABLE (no server answered, or it was shutting down) is retried with
  exponential backoff on the next address of the list (round robin over replicas), with the SAME
  request: a write carries a ``request_id`` made once per logical write, so the server applies a
  retried write once. UNKNOWN with reason OUTCOME_UNKNOWN (the server's store connection dropped
  after the write was sent) is retried the same way for writes, as the server asks.
- **State machine.** The first use in a process compares the server's DescribeStateMachine with
  pynenc's own table (``pynenc.invocation.status._CONFIG``) and refuses to run on a mismatch.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from pynenc_status.v1 import status_pb2, status_pb2_grpc

from .config import ClientSettings
from .errors import PynencStatusConfigError, PynencStatusError, service_error_from_rpc, to_pynenc_exception
from .state_machine import check_state_machine

Response = TypeVar("Response")

#: Attempts of one call while the service is UNAVAILABLE (the first plus retries), and the backoff.
MAX_ATTEMPTS = 8
BACKOFF_FIRST_SEC = 0.05
BACKOFF_MAX_SEC = 1.0

_RETRY_CODES = frozenset({grpc.StatusCode.UNAVAILABLE})


def new_request_id() -> str:
    """An idempotency key for one logical write (reused by every retry of it)."""
    return uuid.uuid4().hex


def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as error:
        raise PynencStatusConfigError(f"{what} {path!r} cannot be read: {error}") from error


def channel_credentials(settings: ClientSettings) -> grpc.ChannelCredentials | None:
    """TLS (and call) credentials for the settings, or None for a plaintext channel."""
    if not settings.uses_tls:
        return None
    root = None if settings.tls_ca in ("", "system") else _read_file(settings.tls_ca, "pynenc_status_tls_ca")
    key = _read_file(settings.tls_key, "pynenc_status_tls_key") if settings.tls_key else None
    cert = _read_file(settings.tls_cert, "pynenc_status_tls_cert") if settings.tls_cert else None
    credentials = grpc.ssl_channel_credentials(root_certificates=root, private_key=key, certificate_chain=cert)
    if settings.token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(settings.token)
        )
    return credentials


_CHANNEL_OPTIONS = [
    # The plugin retries itself (with the same request_id); gRPC's own retries would add attempts.
    ("grpc.enable_retries", 0),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
]


class _Connection:
    """The channels and stubs of one process for one ClientSettings."""

    def __init__(self, settings: ClientSettings) -> None:
        credentials = channel_credentials(settings)
        self.channels = [
            grpc.secure_channel(address, credentials, options=_CHANNEL_OPTIONS)
            if credentials is not None
            else grpc.insecure_channel(address, options=_CHANNEL_OPTIONS)
            for address in settings.addresses
        ]
        self.stubs = [status_pb2_grpc.StatusServiceStub(channel) for channel in self.channels]
        self.addresses = settings.addresses
        self._next = itertools.count(random.randrange(len(self.stubs)))

    def next_index(self) -> int:
        return next(self._next) % len(self.stubs)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


class _ForkGate:
    """Keeps ``fork()`` and this process's gRPC calls apart.

    gRPC's fork support cancels, in the child, the calls the parent had in flight at the fork, and
    that child then hangs for good (grpc 1.85: in ``_postfork_child``); gRPC asks that no other
    thread be calling into it when a process forks. Before a fork, the forking thread waits here
    for the calls in flight to end (each has a deadline) while new ones wait for the fork to end.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._calls = 0
        self._forks = 0  # forks under way (two threads may fork at once)
        self._longest_wait = 0.0

    def enter(self, timeout_sec: float) -> None:
        with self._condition:
            while self._forks:
                self._condition.wait()
            self._calls += 1
            self._longest_wait = max(self._longest_wait, timeout_sec)

    def leave(self) -> None:
        with self._condition:
            self._calls -= 1
            if self._calls == 0:
                self._condition.notify_all()

    def before_fork(self) -> None:
        with self._condition:
            self._forks += 1
            # Bounded: a call ends by its deadline; a wedged one must not stop the fork forever.
            self._condition.wait_for(lambda: self._calls == 0, timeout=self._longest_wait + 1.0)

    def after_fork_in_parent(self) -> None:
        with self._condition:
            self._forks -= 1
            if self._forks == 0:
                self._condition.notify_all()


_gate = _ForkGate()
_lock = threading.Lock()
_connections: dict[tuple[int, ClientSettings], _Connection] = {}
#: Settings whose server's state machine was checked in this process or a parent it forked from
#: (a forked child talks to the same servers: ProcessRunner forks one child per invocation, and
#: one DescribeStateMachine per child would be a round trip per task).
_checked: set[ClientSettings] = set()


def _before_fork() -> None:
    _gate.before_fork()


def _after_fork_in_parent() -> None:
    _gate.after_fork_in_parent()


def _forget_parent_connections() -> None:
    # In a forked child: the parent's channels are unusable here; drop them without closing. The
    # threads that held the locks or waited at the gate do not exist here.
    global _lock, _gate
    _lock = threading.Lock()
    _gate = _ForkGate()
    _connections.clear()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_forget_parent_connections
)


def close_all() -> None:
    """Close this process's channels (tests and short scripts; a runner keeps them)."""
    with _lock:
        for key in [key for key in _connections if key[0] == os.getpid()]:
            _connections.pop(key).close()


class StatusClient:
    """Calls to the pynenc-status service with this plugin's rules (see the module docstring)."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings

    def _connection(self) -> _Connection:
        key = (os.getpid(), self.settings)
        connection = _connections.get(key)
        if connection is None:
            with _lock:
                connection = _connections.get(key)
                if connection is None:
                    gate = _gate
                    gate.enter(self.settings.timeout_sec)
                    try:
                        connection = _Connection(self.settings)
                    finally:
                        gate.leave()
                    _connections[key] = connection
        if self.settings not in _checked:
            self._check_state_machine(connection)
        return connection

    def _check_state_machine(self, connection: _Connection) -> None:
        response = self._call_on(connection, "DescribeStateMachine", status_pb2.DescribeStateMachineRequest())
        check_state_machine(response, ", ".join(self.settings.addresses))
        _checked.add(self.settings)

    def call(self, method: str, request: Any, *, write: bool = False, invocation_id: str = "") -> Any:
        """Call ``method`` with ``request``; errors become pynenc's exceptions (see errors.py)."""
        return self._call_on(self._connection(), method, request, write=write, invocation_id=invocation_id)

    def _call_on(
        self, connection: _Connection, method: str, request: Any, *, write: bool = False, invocation_id: str = ""
    ) -> Any:
        delay = BACKOFF_FIRST_SEC
        last: grpc.RpcError | None = None
        for attempt in range(MAX_ATTEMPTS):
            index = connection.next_index()
            rpc: Callable[..., Any] = getattr(connection.stubs[index], method)
            gate = _gate  # the one entered is the one left, even if this process forks meanwhile
            gate.enter(self.settings.timeout_sec)
            try:
                return rpc(request, timeout=self.settings.timeout_sec)
            except grpc.RpcError as error:
                last = error
                error_info = service_error_from_rpc(error)
            finally:
                gate.leave()
            retryable = error_info.code in _RETRY_CODES or (
                write and error_info.code == grpc.StatusCode.UNKNOWN and error_info.reason == "OUTCOME_UNKNOWN"
            )
            if not retryable:
                raise to_pynenc_exception(error_info, invocation_id) from None
            if attempt + 1 < MAX_ATTEMPTS:
                time.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, BACKOFF_MAX_SEC)
        assert last is not None
        error_info = service_error_from_rpc(last)
        raise PynencStatusError(
            f"pynenc-status at {', '.join(connection.addresses)} is unavailable after {MAX_ATTEMPTS} attempts "
            f"({error_info.code.name}: {error_info.message})",
            error_info.code,
            error_info.reason,
        ) from None


_clients: dict[ClientSettings, StatusClient] = {}


def client_for(settings: ClientSettings) -> StatusClient:
    """The StatusClient of these settings (one per settings; its channels are per process)."""
    client = _clients.get(settings)
    if client is None:
        client = _clients.setdefault(settings, StatusClient(settings))
    return client
