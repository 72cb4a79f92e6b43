from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from pynenc.exceptions import InvocationStatusOwnershipError, InvocationStatusTransitionError
from pynenc.invocation import InvocationStatus

from pynenc_status_orchestrator.errors import (
    PynencStatusError,
    is_already_registered,
    service_error_from_status,
    to_pynenc_exception,
)


def _status(code: grpc.StatusCode, message: str, reason: str, **metadata: str) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="status.pynenc", metadata=metadata))
    return status_pb2.Status(code=code.value[0], message=message, details=[detail])


def test_invalid_transition() -> None:
    error = service_error_from_status(
        _status(
            grpc.StatusCode.FAILED_PRECONDITION,
            "invocation i: cannot move",
            "INVALID_TRANSITION",
            invocationId="i",
            **{"from": "INVOCATION_STATUS_PAUSED", "to": "INVOCATION_STATUS_SUCCESS"},
            allowed="INVOCATION_STATUS_RUNNING,INVOCATION_STATUS_KILLED",
        )
    )
    exception = to_pynenc_exception(error)
    assert isinstance(exception, InvocationStatusTransitionError)
    assert exception.from_status == InvocationStatus.PAUSED
    assert exception.to_status == InvocationStatus.SUCCESS
    assert exception.allowed_statuses == frozenset({InvocationStatus.RUNNING, InvocationStatus.KILLED})
    assert is_already_registered(error)


def test_invalid_transition_from_final_and_from_new() -> None:
    final = service_error_from_status(
        _status(
            grpc.StatusCode.FAILED_PRECONDITION,
            "x",
            "INVALID_TRANSITION",
            **{"from": "INVOCATION_STATUS_SUCCESS", "to": "INVOCATION_STATUS_RUNNING"},
            allowed="",
        )
    )
    assert to_pynenc_exception(final).allowed_statuses == frozenset()
    new = service_error_from_status(
        _status(
            grpc.StatusCode.FAILED_PRECONDITION,
            "x",
            "INVALID_TRANSITION",
            **{"from": "INVOCATION_STATUS_UNSPECIFIED", "to": "INVOCATION_STATUS_RUNNING"},
            allowed="INVOCATION_STATUS_REGISTERED",
        )
    )
    assert to_pynenc_exception(new).from_status is None
    assert not is_already_registered(new)


def test_ownership() -> None:
    error = service_error_from_status(
        _status(
            grpc.StatusCode.FAILED_PRECONDITION,
            "invocation i-1: Status requires ownership by runner:'a'",
            "OWNERSHIP_VIOLATION",
            invocationId="i-1",
            currentOwner="a",
            attemptedOwner="b",
            **{"from": "INVOCATION_STATUS_RUNNING", "to": "INVOCATION_STATUS_SUCCESS"},
        )
    )
    exception = to_pynenc_exception(error)
    assert isinstance(exception, InvocationStatusOwnershipError)
    assert (exception.current_owner, exception.attempted_owner) == ("a", "b")
    assert exception.reason == "Status requires ownership by runner:'a'"
    missing = service_error_from_status(
        _status(
            grpc.StatusCode.FAILED_PRECONDITION,
            "invocation i: needs a runner",
            "OWNERSHIP_VIOLATION",
            currentOwner="",
            attemptedOwner="",
            **{"from": "INVOCATION_STATUS_REGISTERED", "to": "INVOCATION_STATUS_PENDING"},
        )
    )
    assert to_pynenc_exception(missing).attempted_owner is None


def test_not_found_is_key_error_and_the_rest_keep_code_and_reason() -> None:
    not_found = service_error_from_status(
        _status(grpc.StatusCode.NOT_FOUND, "gone", "INVOCATION_NOT_FOUND", invocationId="z")
    )
    exception = to_pynenc_exception(not_found)
    assert isinstance(exception, KeyError) and "z" in str(exception)
    other = to_pynenc_exception(
        service_error_from_status(_status(grpc.StatusCode.ABORTED, "moved", "REVISION_MISMATCH"))
    )
    assert isinstance(other, PynencStatusError)
    assert other.code == grpc.StatusCode.ABORTED and other.reason == "REVISION_MISMATCH"
