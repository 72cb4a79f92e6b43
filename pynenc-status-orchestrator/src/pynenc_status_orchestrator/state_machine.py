"""The server must enforce the state machine of the installed pynenc, or nothing else is right."""

from __future__ import annotations

from pynenc.invocation import status as pynenc_status
from pynenc.invocation.status import InvocationStatus
from pynenc_status.v1 import status_pb2

from .convert import FROM_PROTO
from .errors import PynencStatusConfigError

#: The server profile that serves pynenc 0.3.0 to 0.4.x.
PROFILE = "pynenc-0.3"

_FLAGS = (
    "is_final",
    "available_for_run",
    "requires_ownership",
    "acquires_ownership",
    "releases_ownership",
    "overrides_ownership",
)


def pynenc_table() -> dict[InvocationStatus, tuple[frozenset[InvocationStatus], tuple[bool, ...]]]:
    """The installed pynenc's table: per status, its allowed targets and flags (``_CONFIG``)."""
    config = pynenc_status._CONFIG
    return {
        status: (
            frozenset(config.get_definition(status).allowed_transitions),
            tuple(bool(getattr(config.get_definition(status), flag)) for flag in _FLAGS),
        )
        for status in InvocationStatus
    }


def server_table(
    response: status_pb2.DescribeStateMachineResponse,
) -> dict[InvocationStatus | int, tuple[frozenset[InvocationStatus | int], tuple[bool, ...]]]:
    """The server's table in the same shape (a status pynenc lacks stays its proto number)."""
    return {
        FROM_PROTO.get(definition.status, definition.status): (
            frozenset(FROM_PROTO.get(target, target) for target in definition.allowed_transitions),
            tuple(bool(getattr(definition, flag)) for flag in _FLAGS),
        )
        for definition in response.definitions
    }


def describe_differences(response: status_pb2.DescribeStateMachineResponse) -> list[str]:
    """Every difference between the server's table and the installed pynenc's; empty when equal."""

    def name(status: InvocationStatus | int) -> str:
        if isinstance(status, InvocationStatus):
            return status.value
        return (
            status_pb2.InvocationStatus.Name(status) if status in status_pb2.InvocationStatus.values() else str(status)
        )

    ours, theirs = pynenc_table(), server_table(response)
    differences = []
    for status in sorted(set(ours) | set(theirs), key=name):
        if status not in theirs:
            differences.append(f"{name(status)}: not served")
        elif status not in ours:
            differences.append(f"{name(status)}: served, but pynenc has no such status")
        elif ours[status] != theirs[status]:
            (our_targets, our_flags), (their_targets, their_flags) = ours[status], theirs[status]
            if our_targets != their_targets:
                differences.append(
                    f"{name(status)}: pynenc allows {sorted(map(name, our_targets))}, "
                    f"the server {sorted(map(name, their_targets))}"
                )
            for flag, mine, served in zip(_FLAGS, our_flags, their_flags, strict=True):
                if mine != served:
                    differences.append(f"{name(status)}: {flag} is {mine} in pynenc, {served} on the server")
    return differences


def check_state_machine(response: status_pb2.DescribeStateMachineResponse, where: str) -> None:
    """Raise PynencStatusConfigError unless the server serves exactly pynenc's state machine."""
    differences = describe_differences(response)
    if differences:
        shown = "; ".join(differences[:6]) + ("; ..." if len(differences) > 6 else "")
        raise PynencStatusConfigError(
            f"pynenc-status at {where} serves state-machine profile {response.profile or '(unnamed)'!r}, which is "
            f"not the state machine of the installed pynenc: {shown}. Start the server with "
            f"`pynenc-status serve --state-machine {PROFILE}` (pynenc 0.3.0 to 0.4.x); a store created with "
            "another profile needs a new store."
        )
