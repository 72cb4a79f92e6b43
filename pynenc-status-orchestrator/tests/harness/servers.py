"""Start real pynenc-status servers (and redis-server) for the plugin's tests, bench and example.

The server is this repository's: the compiled ``bin/pynenc-status.js`` when ``npm run build`` has
made ``dist/`` (as ``npm test`` does), otherwise the sources through tsx. Every server serves
pynenc 0.4's state machine with the server's own recovery off (pynenc recovers through its core
tasks) and PurgeNamespace allowed (pynenc's ``purge()``), unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

PYNENC_FLAGS = ("--state-machine", "pynenc-0.3", "--recovery", "off", "--allow-purge")


def server_root() -> Path:
    """The checkout whose server runs: this one, or PYNENC_STATUS_REPO (another checkout)."""
    return Path(os.environ.get("PYNENC_STATUS_REPO") or REPO_ROOT)


def serve_command() -> list[str]:
    """How to run ``pynenc-status``: the compiled bin when dist/ exists, else the sources (tsx)."""
    node = os.environ.get("NODE", shutil.which("node") or "node")
    root = server_root()
    compiled = (root / "dist" / "src" / "cli" / "main.js").is_file()
    if compiled and os.environ.get("PYNENC_STATUS_FROM_SOURCE") != "1":
        return [node, str(root / "bin" / "pynenc-status.js")]
    return [node, "--import", "tsx", str(root / "src" / "cli" / "main.ts")]


@dataclass
class Server:
    """A running ``pynenc-status serve``."""

    process: subprocess.Popen[str]
    grpc_address: str
    http_address: str
    log_path: Path
    flags: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def start_server(
    store: str, *extra: str, pynenc: bool = True, log_dir: Path | None = None, timeout: float = 30.0
) -> Server:
    """``pynenc-status serve --store STORE`` on free loopback ports; returns once both listen."""
    flags = ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--store", store]
    if pynenc:
        flags += PYNENC_FLAGS
    flags += extra
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pynenc-status-log-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{os.getpid()}-{time.monotonic_ns()}.log"
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [*serve_command(), "serve", *flags],
        cwd=server_root(),
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        start_new_session=True,
    )
    addresses: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while len(addresses) < 2:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"pynenc-status serve {' '.join(flags)} did not start:\n{log_path.read_text()}")
        line = process.stdout.readline()
        if line.startswith("listening on "):
            addresses.append(line.removeprefix("listening on ").strip())
    # Keep draining stdout so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    return Server(process, addresses[0], addresses[1], log_path, flags)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


def start_redis() -> Redis:
    binary = redis_server_path()
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install -y redis-server; .ci/run installs it)")
    directory = Path(tempfile.mkdtemp(prefix="pynenc-status-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return Redis(process, port, directory)


@dataclass
class Service:
    """One pynenc-status service for the plugin: its gRPC address list and what runs it."""

    store: str
    address: str
    servers: list[Server]
    redis: Redis | None = None
    directory: Path | None = None

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(server.log() for server in self.servers)


def start_service(store: str, *extra: str, log_dir: Path | None = None) -> Service:
    """A service on ``store``: ``memory``, ``sqlite`` (a new file) or ``redis`` (a new
    redis-server and TWO server replicas on it; the address lists both, so the plugin
    round-robins over them)."""
    if store == "memory":
        server = start_server("memory", *extra, log_dir=log_dir)
        return Service(store, server.grpc_address, [server])
    if store == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="pynenc-status-sqlite-"))
        server = start_server(f"sqlite:{directory / 'status.db'}", *extra, log_dir=log_dir)
        return Service(store, server.grpc_address, [server], directory=directory)
    if store == "redis":
        redis = start_redis()
        servers: list[Server] = []
        try:
            for _ in range(2):
                servers.append(start_server(redis.url(), *extra, log_dir=log_dir))
        except BaseException:
            for server in servers:
                server.stop()
            redis.stop()
            raise
        return Service(store, ",".join(server.grpc_address for server in servers), servers, redis=redis)
    raise ValueError(f"unknown store {store!r} (memory, sqlite, redis)")


@contextlib.contextmanager
def service(store: str, *extra: str) -> Iterator[Service]:
    started = start_service(store, *extra)
    try:
        yield started
    finally:
        started.stop()
