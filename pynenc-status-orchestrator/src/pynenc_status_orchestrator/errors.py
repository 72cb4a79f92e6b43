"""The service's errors as pynenc's own exceptions.

The server sends every error with a ``google.rpc.ErrorInfo`` (domain ``status.pynenc``) whose
metadata holds the facts (``from``, ``to``, ``allowed``, ``currentOwner``, ``attemptedOwner``, as
proto enum names). A gRPC error carries it in ``grpc-status-details-bin``; an item of a
BatchTransition carries the same ``google.rpc.Status`` in its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from pynenc.exceptions import InvocationStatusOwnershipError, InvocationStatusTransitionError

from .convert import from_proto_status_name

ERROR_DOMAIN = "status.pynenc"


class PynencStatusError(RuntimeError):
    """The service failed a call in a way pynenc has no exception for (code and reason kept)."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class PynencStatusConfigError(RuntimeError):
    """The plugin is configured wrongly, or the server does not serve pynenc 0.4's state machine."""


@dataclass(frozen=True)
class ServiceError:
    """What an error said: its gRPC code, message and ErrorInfo (reason and metadata)."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def _error_info(details: list) -> tuple[str, dict[str, str]]:
    for any_detail in details:
        if any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_detail.Unpack(info)
            return info.reason, dict(info.metadata)
    return "", {}


def service_error_from_status(status: status_pb2.Status) -> ServiceError:
    """A ``google.rpc.Status`` (a BatchTransition item's error) as a ServiceError."""
    reason, metadata = _error_info(list(status.details))
    code = _CODES_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return ServiceError(code=code, message=status.message, reason=reason, metadata=metadata)


def service_error_from_rpc(error: grpc.RpcError) -> ServiceError:
    """A failed call's error as a ServiceError (details read from grpc-status-details-bin)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        status = None
    if status is None:
        return ServiceError(code=code, message=message or "")
    reason, metadata = _error_info(list(status.details))
    return ServiceError(code=code, message=message or status.message, reason=reason, metadata=metadata)


def _allowed(metadata: dict[str, str]) -> frozenset:
    names = [name for name in metadata.get("allowed", "").split(",") if name]
    return frozenset(status for status in map(from_proto_status_name, names) if status is not None)


def _ownership_reason(message: str, invocation_id: str) -> str:
    # The server says "invocation <id>: <pynenc's reason>"; pynenc's exception holds only the reason.
    prefix = f"invocation {invocation_id}: "
    return message[len(prefix) :] if invocation_id and message.startswith(prefix) else message


def to_pynenc_exception(error: ServiceError, invocation_id: str = "") -> Exception:
    """The exception pynenc's own orchestrators raise in the same situation.

    INVALID_TRANSITION -> InvocationStatusTransitionError(from, to, allowed);
    OWNERSHIP_VIOLATION -> InvocationStatusOwnershipError(from, to, current, attempted, reason);
    NOT_FOUND -> KeyError (as pynenc's SQLite orchestrator raises for an unknown id);
    anything else -> PynencStatusError with the code and reason.
    """
    metadata = error.metadata
    invocation_id = metadata.get("invocationId", invocation_id)
    if error.reason == "INVALID_TRANSITION":
        to_status = from_proto_status_name(metadata.get("to", ""))
        if to_status is not None:
            return InvocationStatusTransitionError(
                from_status=from_proto_status_name(metadata.get("from", "")),
                to_status=to_status,
                allowed_statuses=_allowed(metadata),
            )
    if error.reason == "OWNERSHIP_VIOLATION":
        to_status = from_proto_status_name(metadata.get("to", ""))
        if to_status is not None:
            return InvocationStatusOwnershipError(
                from_status=from_proto_status_name(metadata.get("from", "")),
                to_status=to_status,
                current_owner=metadata.get("currentOwner") or None,
                attempted_owner=metadata.get("attemptedOwner") or None,
                reason=_ownership_reason(error.message, invocation_id),
            )
    if error.code == grpc.StatusCode.NOT_FOUND:
        return KeyError(f"Invocation ID {invocation_id} not found" if invocation_id else error.message)
    reason = f" ({error.reason})" if error.reason else ""
    return PynencStatusError(f"pynenc-status: {error.code.name}{reason}: {error.message}", error.code, error.reason)


def is_already_registered(error: ServiceError) -> bool:
    """A REGISTERED request for an invocation the service already has (any status).

    pynenc's SQLite orchestrator ignores a second registration (INSERT ... ON CONFLICT DO NOTHING);
    the service answers it with INVALID_TRANSITION from the current status, which the plugin
    takes as "already registered".
    """
    return error.reason == "INVALID_TRANSITION" and from_proto_status_name(error.metadata.get("from", "")) is not None
