"""pynenc-status errors as a Python client reads them with grpcio-status (the README's error table).

Needs a running server: PYNENC_STATUS_TARGET=HOST:PORT (the tests are skipped without it).
Assertions are on codes, reasons and the statuses named, not on message text or value format.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from pynenc_status.v1 import status_pb2 as pb
from pynenc_status.v1 import status_pb2_grpc

TARGET = os.environ.get("PYNENC_STATUS_TARGET", "")
pytestmark = pytest.mark.skipif(not TARGET, reason="PYNENC_STATUS_TARGET is not set")

S = pb.InvocationStatus
STATUS_NAMES = {n.removeprefix("INVOCATION_STATUS_").lower() for n in S.keys()} - {"unspecified"}  # noqa: SIM118 (an enum wrapper is not iterable)


@pytest.fixture(scope="module")
def stub() -> Iterator[status_pb2_grpc.StatusServiceStub]:
    with grpc.insecure_channel(TARGET) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield status_pb2_grpc.StatusServiceStub(channel)


def transition(
    stub: status_pb2_grpc.StatusServiceStub, inv: str, status: int, runner: str | None = None
) -> pb.TransitionResponse:
    req = pb.TransitionRequest(invocation_id=inv, status=status, task_id="examples.test_errors")
    if runner is not None:
        req.runner_id = runner
    return stub.Transition(req, timeout=10)


def statuses_named(text: str) -> set[str]:
    """The status names in a text, whatever the format ("a,b", JSON, INVOCATION_STATUS_A ...)."""
    words = re.findall(r"[a-z_]+", text.lower().replace("invocation_status_", ""))
    return {w for w in words if w in STATUS_NAMES}


def rpc_error_details(
    err: grpc.RpcError,
) -> tuple[error_details_pb2.ErrorInfo, error_details_pb2.PreconditionFailure | None]:
    """The ErrorInfo (required) and PreconditionFailure (optional) of an error."""
    status = rpc_status.from_call(err)
    assert status is not None, "no google.rpc.Status in grpc-status-details-bin"
    assert status.code == err.code().value[0]
    return status_details(status)


def status_details(
    status: status_pb2.Status,
) -> tuple[error_details_pb2.ErrorInfo, error_details_pb2.PreconditionFailure | None]:
    """The ErrorInfo (required) and PreconditionFailure (optional) of a google.rpc.Status."""
    infos, failures = [], []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            infos.append(error_details_pb2.ErrorInfo())
            detail.Unpack(infos[-1])
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failures.append(error_details_pb2.PreconditionFailure())
            detail.Unpack(failures[-1])
    assert len(infos) == 1, f"expected one ErrorInfo, got {status.details}"
    assert len(failures) <= 1
    return infos[0], (failures[0] if failures else None)


def test_invalid_transition(stub: status_pb2_grpc.StatusServiceStub) -> None:
    inv = f"py-errors-{uuid.uuid4()}"
    transition(stub, inv, S.INVOCATION_STATUS_REGISTERED)
    with pytest.raises(grpc.RpcError) as caught:
        transition(stub, inv, S.INVOCATION_STATUS_RUNNING, "r1")
    err = caught.value
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION

    info, failure = rpc_error_details(err)
    assert info.domain == "status.pynenc"
    assert info.reason == "INVALID_TRANSITION"
    assert {"from", "to", "allowed"} <= set(info.metadata), dict(info.metadata)
    allowed = {"pending", "concurrency_controlled", "concurrency_controlled_final"}
    assert statuses_named(info.metadata["from"]) == {"registered"}
    assert statuses_named(info.metadata["to"]) == {"running"}
    assert statuses_named(info.metadata["allowed"]) == allowed

    assert failure is not None, "an invalid transition carries a PreconditionFailure"
    assert failure.violations
    named = statuses_named(" ".join(f"{v.type} {v.subject} {v.description}" for v in failure.violations))
    assert allowed <= named

    # A rejected request changes nothing.
    record = stub.Get(pb.GetRequest(invocation_id=inv), timeout=10).record
    assert record.status == S.INVOCATION_STATUS_REGISTERED


OWNERSHIP_CASES = [
    # pending requires ownership: only its owner may move it on.
    pytest.param(
        [(S.INVOCATION_STATUS_PENDING, "owner")],
        S.INVOCATION_STATUS_RUNNING,
        "intruder",
        id="another runner moves a pending invocation",
    ),
    # pending acquires ownership, so a runner must be named to take it.
    pytest.param([], S.INVOCATION_STATUS_PENDING, None, id="pending without a runner"),
]


@pytest.mark.parametrize(("setup", "status", "runner"), OWNERSHIP_CASES)
def test_ownership_violation(
    stub: status_pb2_grpc.StatusServiceStub, setup: list[tuple[int, str]], status: int, runner: str | None
) -> None:
    inv = f"py-errors-{uuid.uuid4()}"
    suffix = inv[-8:]  # unique runner ids, so the metadata check below means something
    transition(stub, inv, S.INVOCATION_STATUS_REGISTERED)
    for setup_status, setup_runner in setup:
        transition(stub, inv, setup_status, f"{setup_runner}-{suffix}")
    before = stub.Get(pb.GetRequest(invocation_id=inv), timeout=10).record

    with pytest.raises(grpc.RpcError) as caught:
        transition(stub, inv, status, f"{runner}-{suffix}" if runner else None)
    err = caught.value
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION

    info, _ = rpc_error_details(err)
    assert info.domain == "status.pynenc"
    assert info.reason == "OWNERSHIP_VIOLATION"
    values = " ".join(info.metadata.values())
    for _, setup_runner in setup:  # the owners are named
        assert f"{setup_runner}-{suffix}" in values, dict(info.metadata)
    if runner:
        assert f"{runner}-{suffix}" in values, dict(info.metadata)

    after = stub.Get(pb.GetRequest(invocation_id=inv), timeout=10).record
    assert after == before


def test_batch_transition_item_errors(stub: status_pb2_grpc.StatusServiceStub) -> None:
    """A failed BatchTransition item is the google.rpc.Status the same call alone fails with."""
    inv = f"py-batch-{uuid.uuid4()}"
    registered = pb.TransitionRequest(invocation_id=inv, status=S.INVOCATION_STATUS_REGISTERED)
    not_allowed = pb.TransitionRequest(invocation_id=inv, status=S.INVOCATION_STATUS_RUNNING, runner_id="r1")
    invalid = pb.TransitionRequest(invocation_id="", status=S.INVOCATION_STATUS_REGISTERED)
    batch = stub.BatchTransition(pb.BatchTransitionRequest(requests=[registered, not_allowed, invalid]), timeout=10)
    ok, refused, rejected = batch.results
    assert ok.WhichOneof("result") == "response"
    assert ok.response.record.status == S.INVOCATION_STATUS_REGISTERED

    assert refused.WhichOneof("result") == "error"
    assert refused.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    info, failure = status_details(refused.error)
    assert (info.domain, info.reason) == ("status.pynenc", "INVALID_TRANSITION")
    assert statuses_named(info.metadata["allowed"]) == {
        "pending",
        "concurrency_controlled",
        "concurrency_controlled_final",
    }
    assert failure is not None
    # The very status the same Transition alone fails with, details and all.
    with pytest.raises(grpc.RpcError) as caught:
        stub.Transition(not_allowed, timeout=10)
    assert rpc_status.from_call(caught.value) == refused.error

    assert rejected.WhichOneof("result") == "error"
    assert rejected.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    info, _ = status_details(rejected.error)
    assert (info.reason, info.metadata["field"]) == ("INVALID_ARGUMENT", "invocation_id")
    bad_requests = [d for d in rejected.error.details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)]
    assert len(bad_requests) == 1

    # The failed items changed nothing.
    assert stub.Get(pb.GetRequest(invocation_id=inv), timeout=10).record.status == S.INVOCATION_STATUS_REGISTERED
