#!/usr/bin/env python3
"""A small pynenc-like runner for pynenc-status.

It takes invocations in one of two ways:

- list mode (the default): polls ListAvailableForRun and takes each invocation by moving it to
  PENDING with its runner id (losing a race to another runner is a FAILED_PRECONDITION, logged
  and skipped);
- claim mode (--claim): asks ClaimAvailable for up to --claim-batch invocations, which the server
  moves to PENDING for this runner in one atomic step.

Then it runs each one (RUNNING, --work-seconds of "work") and ends it in SUCCESS, FAILED or RETRY,
chosen deterministically from the invocation id and attempt. A RETRY invocation is available again
and is run again later. A background thread sends a Heartbeat every --heartbeat-seconds, so the
server's recovery knows the runner is alive while it works.

stdout: one JSON line per run it finishes: {"runner", "invocation_id", "final", "attempt"}.
stderr: JSON log lines (rejected transitions with their error details, reconnects, exit).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pynenc_status.v1 import status_pb2 as pb
from pynenc_status.v1 import status_pb2_grpc

T = TypeVar("T")
S = pb.InvocationStatus
FINALS = {
    S.INVOCATION_STATUS_SUCCESS: "success",
    S.INVOCATION_STATUS_FAILED: "failed",
    S.INVOCATION_STATUS_RETRY: "retry",
}
MAX_RETRIES = 2  # so every invocation ends in success or failed after at most 3 runs
CALL_TIMEOUT = 10.0
BACKOFF = (0.1, 0.2, 0.5, 1.0, 2.0, 2.0, 2.0)  # ~8 s of retries on UNAVAILABLE


def log(**fields: object) -> None:
    print(json.dumps(fields, sort_keys=True), file=sys.stderr, flush=True)


def error_details(err: grpc.RpcError) -> dict[str, object]:
    """The code, message and google.rpc details (ErrorInfo, PreconditionFailure) of an error."""
    out: dict[str, object] = {"code": err.code().name, "message": err.details()}
    status = rpc_status.from_call(err)  # None when the server sent no grpc-status-details-bin
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out.update(domain=info.domain, reason=info.reason, metadata=dict(info.metadata))
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            out["allowed"] = [
                {"type": v.type, "subject": v.subject, "description": v.description} for v in failure.violations
            ]
    return out


def outcome(invocation_id: str, attempt: int) -> int:
    """SUCCESS, FAILED or (rarely, and only for the first runs) RETRY; same answer on every runner."""
    h = int.from_bytes(hashlib.sha256(f"{invocation_id}#{attempt}".encode()).digest()[:8], "big")
    if h % 10 == 0 and attempt < MAX_RETRIES:
        return S.INVOCATION_STATUS_RETRY
    if h % 10 == 1:
        return S.INVOCATION_STATUS_FAILED
    return S.INVOCATION_STATUS_SUCCESS


def call(method: Callable[..., T], request: object) -> T:
    """Calls a unary method, retrying while the server is UNAVAILABLE (e.g. restarting).

    Transitions carry a request_id, so a retry of one that did reach the server returns the
    first outcome instead of failing as a repeated transition.
    """
    for delay in (*BACKOFF, None):
        try:
            return method(request, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNAVAILABLE or delay is None:
                raise
            log(event="unavailable", retry_in=delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


class Heartbeats:
    """Sends a Heartbeat every `period` seconds from a daemon thread until stopped.

    A failed heartbeat is logged and tried again next period (the runner keeps working; the
    server's recovery decides whether it was silent too long). An older server without the RPC
    (UNIMPLEMENTED) turns heartbeats off.
    """

    def __init__(self, stub: status_pb2_grpc.StatusServiceStub, runner_id: str, period: float) -> None:
        self.stub = stub
        self.runner_id = runner_id
        self.period = period
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeats:  # noqa: PYI034 (typing.Self needs Python 3.11; this runs on 3.10)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=CALL_TIMEOUT)

    def _loop(self) -> None:
        request = pb.HeartbeatRequest(runner_id=self.runner_id)
        while not self.stopped.is_set():
            try:
                self.stub.Heartbeat(request, timeout=CALL_TIMEOUT)
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.UNIMPLEMENTED:
                    log(event="feature_off", feature="heartbeat", **error_details(err))
                    return
                log(event="heartbeat_failed", runner=self.runner_id, **error_details(err))
            self.stopped.wait(self.period)


class Runner:
    def __init__(self, stub: status_pb2_grpc.StatusServiceStub, runner_id: str, work_seconds: float = 0.0) -> None:
        self.stub = stub
        self.runner_id = runner_id
        self.work_seconds = work_seconds
        # Optional server feature; turned off on UNIMPLEMENTED so older servers still work.
        self.use_request_id = True

    def transition(self, invocation_id: str, status: int, request_id: str) -> pb.TransitionResponse:
        req = pb.TransitionRequest(invocation_id=invocation_id, status=status, runner_id=self.runner_id)
        if self.use_request_id:
            req.request_id = request_id
        try:
            return call(self.stub.Transition, req)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED or not self.use_request_id:
                raise
            log(event="feature_off", feature="request_id", **error_details(err))
            self.use_request_id = False
            req.ClearField("request_id")
            return call(self.stub.Transition, req)

    def rejected(self, event: str, invocation_id: str, err: grpc.RpcError) -> None:
        """Logs a FAILED_PRECONDITION (someone else has the invocation); re-raises anything else."""
        if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
            raise err
        log(event=event, runner=self.runner_id, invocation_id=invocation_id, **error_details(err))

    def key(self, record: pb.StatusRecord) -> str:
        """The request_id prefix of one run: unique per (runner, invocation, chance to run it),
        as the record's revision is the change that made it available (list mode) or claimed
        it (claim mode)."""
        return f"{self.runner_id}:{record.invocation_id}:{record.revision}"

    def take(self, record: pb.StatusRecord) -> bool:
        """List mode: moves an available invocation to PENDING for this runner; False when
        another runner got it first."""
        inv = record.invocation_id
        try:
            self.transition(inv, S.INVOCATION_STATUS_PENDING, f"{self.key(record)}:pending")
        except grpc.RpcError as err:
            self.rejected("not_taken", inv, err)
            return False
        return True

    def claim(self, max_count: int) -> list[pb.StatusRecord]:
        """Claim mode: up to max_count invocations, already PENDING for this runner."""
        req = pb.ClaimAvailableRequest(runner_id=self.runner_id, max_count=max_count)
        return list(call(self.stub.ClaimAvailable, req).records)

    def run(self, record: pb.StatusRecord) -> dict[str, object] | None:
        """Runs and ends one invocation this runner holds as PENDING; None when it was taken away
        (e.g. by a recovery) before it ended."""
        inv = record.invocation_id
        key = self.key(record)
        # The attempt number comes from the server's history, so any runner computes the same.
        history = call(self.stub.GetHistory, pb.GetHistoryRequest(invocation_id=inv))
        attempt = sum(1 for e in history.entries if e.record.status == S.INVOCATION_STATUS_RETRY)
        final = outcome(inv, attempt)
        try:
            self.transition(inv, S.INVOCATION_STATUS_RUNNING, f"{key}:running")
            if self.work_seconds > 0:
                time.sleep(self.work_seconds)
            self.transition(inv, final, f"{key}:final")
        except grpc.RpcError as err:
            # Someone else moved it (e.g. a recovery); report and move on, as pynenc would.
            self.rejected("lost", inv, err)
            return None
        return {"runner": self.runner_id, "invocation_id": inv, "final": FINALS[final], "attempt": attempt}


class Source(NamedTuple):
    """Where a runner's work comes from.

    fetch(limit): the next records to try (limit: how many more runs are wanted, 0 = no limit);
    take(record): makes one of them this runner's PENDING invocation, False when another runner
    got it first.
    """

    fetch: Callable[[int], Sequence[pb.StatusRecord]]
    take: Callable[[pb.StatusRecord], bool]


def listing(runner: Runner, page_size: int) -> Source:
    """List mode: a page of available invocations, each taken with a PENDING transition."""

    def fetch(_limit: int) -> Sequence[pb.StatusRecord]:
        req = pb.ListAvailableForRunRequest(page_size=page_size)
        return call(runner.stub.ListAvailableForRun, req).records

    return Source(fetch, runner.take)


def claiming(runner: Runner, claim_batch: int) -> Source:
    """Claim mode: what ClaimAvailable hands over, already PENDING for this runner (never more
    than the runner will still run, so nothing it claims is left to recovery when it stops)."""

    def fetch(limit: int) -> Sequence[pb.StatusRecord]:
        return runner.claim(min(claim_batch, limit) if limit else claim_batch)

    return Source(fetch, lambda _record: True)


def work(runner: Runner, source: Source, max_invocations: int, idle_exit_seconds: float, poll_seconds: float) -> int:
    """Runs what the source gives until it has given nothing for idle_exit_seconds, or until
    max_invocations runs are done."""
    done = 0
    last_available = time.monotonic()
    while True:
        records = source.fetch(max_invocations - done if max_invocations else 0)
        if not records:
            if time.monotonic() - last_available >= idle_exit_seconds:
                log(event="idle_exit", runner=runner.runner_id, completed=done)
                return 0
            time.sleep(poll_seconds)
            continue
        last_available = time.monotonic()
        for record in records:
            if not source.take(record):
                continue
            result = runner.run(record)
            if result is None:
                continue
            print(json.dumps(result, sort_keys=True), flush=True)
            done += 1
            if max_invocations and done >= max_invocations:
                log(event="max_invocations", runner=runner.runner_id, completed=done)
                return 0


def read_file(path: str | None) -> bytes | None:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def open_channel(args: argparse.Namespace) -> grpc.Channel:
    """A channel to --target: plaintext, or TLS (with a client certificate for mutual TLS), plus
    the bearer token as call credentials when one is given."""
    if args.tls_ca is None and args.tls_cert is None:
        if args.token:
            raise SystemExit("--token needs TLS (--tls-ca): grpc sends call credentials only over TLS")
        return grpc.insecure_channel(args.target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read_file(args.tls_ca),
        private_key=read_file(args.tls_key),
        certificate_chain=read_file(args.tls_cert),
    )
    if args.token:
        credentials = grpc.composite_channel_credentials(credentials, grpc.access_token_call_credentials(args.token))
    return grpc.secure_channel(args.target, credentials)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="gRPC HOST:PORT of pynenc-status")
    parser.add_argument("--runner-id", required=True)
    parser.add_argument("--max-invocations", type=int, default=0, help="0 = no limit")
    parser.add_argument("--idle-exit-seconds", type=float, default=5.0)
    parser.add_argument("--poll-seconds", type=float, default=0.1)
    parser.add_argument("--page-size", type=int, default=20, help="list mode: invocations per page")
    parser.add_argument(
        "--claim", action="store_true", help="take work with ClaimAvailable instead of listing and taking"
    )
    parser.add_argument("--claim-batch", type=int, default=5, help="claim mode: max_count of each ClaimAvailable")
    parser.add_argument("--heartbeat-seconds", type=float, default=1.0)
    parser.add_argument("--work-seconds", type=float, default=0.0, help="time spent RUNNING before the final status")
    parser.add_argument("--tls-ca", help="speak TLS, trusting the server certificate this PEM CA signed")
    parser.add_argument("--tls-cert", help="client certificate for mutual TLS (PEM; with --tls-key)")
    parser.add_argument("--tls-key", help="the client certificate's private key (PEM)")
    parser.add_argument(
        "--token",
        default=os.environ.get("PYNENC_STATUS_TOKEN") or None,
        help="send authorization: Bearer TOKEN (default $PYNENC_STATUS_TOKEN)",
    )
    args = parser.parse_args()
    if args.claim_batch < 1:
        parser.error("--claim-batch must be at least 1")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")

    with open_channel(args) as channel:
        stub = status_pb2_grpc.StatusServiceStub(channel)
        runner = Runner(stub, args.runner_id, args.work_seconds)
        source = claiming(runner, args.claim_batch) if args.claim else listing(runner, args.page_size)
        with Heartbeats(stub, args.runner_id, args.heartbeat_seconds):
            return work(runner, source, args.max_invocations, args.idle_exit_seconds, args.poll_seconds)


if __name__ == "__main__":
    sys.exit(main())
