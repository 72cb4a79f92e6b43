#!/usr/bin/env python3
"""A small pynenc-like runner for pynenc-status.

It polls ListAvailableForRun, takes each invocation by moving it to PENDING with its runner id
(losing a race to another runner is a FAILED_PRECONDITION, logged and skipped), runs it
(RUNNING) and ends it in SUCCESS, FAILED or RETRY, chosen deterministically from the invocation
id and attempt. A RETRY invocation is available again and is run again later.

stdout: one JSON line per run it finishes: {"runner", "invocation_id", "final", "attempt"}.
stderr: JSON log lines (rejected transitions with their error details, reconnects, exit).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import Callable, TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from pynenc_status.v1 import status_pb2 as pb
from pynenc_status.v1 import status_pb2_grpc

T = TypeVar("T")
S = pb.InvocationStatus
FINALS = {S.INVOCATION_STATUS_SUCCESS: "success", S.INVOCATION_STATUS_FAILED: "failed",
          S.INVOCATION_STATUS_RETRY: "retry"}
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
                {"type": v.type, "subject": v.subject, "description": v.description}
                for v in failure.violations
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


class Runner:
    def __init__(self, stub: status_pb2_grpc.StatusServiceStub, runner_id: str) -> None:
        self.stub = stub
        self.runner_id = runner_id
        # Optional server features; turned off on UNIMPLEMENTED so older servers still work.
        self.use_request_id = True
        self.use_heartbeat = True

    def transition(self, invocation_id: str, status: int, request_id: str) -> pb.TransitionResponse:
        req = pb.TransitionRequest(invocation_id=invocation_id, status=status,
                                   runner_id=self.runner_id)
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

    def heartbeat(self) -> None:
        if not self.use_heartbeat:
            return
        try:
            call(self.stub.Heartbeat, pb.HeartbeatRequest(runner_id=self.runner_id))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log(event="feature_off", feature="heartbeat", **error_details(err))
            self.use_heartbeat = False

    def run(self, record: pb.StatusRecord) -> dict[str, object] | None:
        """Takes, runs and ends one invocation; None when another runner got it first."""
        inv = record.invocation_id
        # Keys unique per (runner, invocation, availability): the revision that made it available.
        key = f"{self.runner_id}:{inv}:{record.revision}"
        try:
            self.transition(inv, S.INVOCATION_STATUS_PENDING, f"{key}:pending")
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
            log(event="not_taken", runner=self.runner_id, invocation_id=inv, **error_details(err))
            return None
        # The attempt number comes from the server's history, so any runner computes the same.
        history = call(self.stub.GetHistory, pb.GetHistoryRequest(invocation_id=inv))
        attempt = sum(1 for e in history.entries if e.record.status == S.INVOCATION_STATUS_RETRY)
        final = outcome(inv, attempt)
        try:
            self.transition(inv, S.INVOCATION_STATUS_RUNNING, f"{key}:running")
            self.transition(inv, final, f"{key}:final")
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
            # Someone else moved it (e.g. a recovery); report and move on, as pynenc would.
            log(event="lost", runner=self.runner_id, invocation_id=inv, **error_details(err))
            return None
        return {"runner": self.runner_id, "invocation_id": inv, "final": FINALS[final],
                "attempt": attempt}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="gRPC HOST:PORT of pynenc-status")
    parser.add_argument("--runner-id", required=True)
    parser.add_argument("--max-invocations", type=int, default=0, help="0 = no limit")
    parser.add_argument("--idle-exit-seconds", type=float, default=5.0)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=0.1)
    args = parser.parse_args()

    done = 0
    with grpc.insecure_channel(args.target) as channel:
        runner = Runner(status_pb2_grpc.StatusServiceStub(channel), args.runner_id)
        last_available = time.monotonic()
        last_heartbeat = 0.0
        while True:
            if time.monotonic() - last_heartbeat >= 1.0:  # a proof of life, as pynenc runners send
                runner.heartbeat()
                last_heartbeat = time.monotonic()
            page = call(runner.stub.ListAvailableForRun,
                        pb.ListAvailableForRunRequest(page_size=args.page_size))
            if not page.records:
                if time.monotonic() - last_available >= args.idle_exit_seconds:
                    log(event="idle_exit", runner=args.runner_id, completed=done)
                    return 0
                time.sleep(args.poll_seconds)
                continue
            last_available = time.monotonic()
            for record in page.records:
                result = runner.run(record)
                if result is None:
                    continue
                print(json.dumps(result, sort_keys=True), flush=True)
                done += 1
                if args.max_invocations and done >= args.max_invocations:
                    log(event="max_invocations", runner=args.runner_id, completed=done)
                    return 0


if __name__ == "__main__":
    sys.exit(main())
