"""Conversions between pynenc's types and the pynenc-status proto (pure functions, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from pynenc.invocation.status import InvocationStatus, InvocationStatusRecord
from pynenc_status.v1 import status_pb2

_PREFIX = "INVOCATION_STATUS_"

#: pynenc status -> proto enum number (INVOCATION_STATUS_<NAME>), for every status pynenc has.
TO_PROTO: dict[InvocationStatus, int] = {
    status: status_pb2.InvocationStatus.Value(_PREFIX + status.name) for status in InvocationStatus
}
#: proto enum number -> pynenc status. RESUMED (pynenc 0.2 only) and UNSPECIFIED are absent.
FROM_PROTO: dict[int, InvocationStatus] = {number: status for status, number in TO_PROTO.items()}


def to_proto_status(status: InvocationStatus) -> int:
    return TO_PROTO[InvocationStatus(status)]


def from_proto_status(number: int) -> InvocationStatus:
    try:
        return FROM_PROTO[number]
    except KeyError:
        name = status_pb2.InvocationStatus.Name(number) if number in status_pb2.InvocationStatus.values() else number
        raise ValueError(f"the server sent status {name}, which pynenc 0.4 does not have") from None


def from_proto_status_name(name: str) -> InvocationStatus | None:
    """A status from the proto enum *name* used in ErrorInfo metadata ("" or UNSPECIFIED = none)."""
    if not name or name == _PREFIX + "UNSPECIFIED":
        return None
    if not name.startswith(_PREFIX):
        raise ValueError(f"not an InvocationStatus name: {name!r}")
    return InvocationStatus[name[len(_PREFIX) :]]


def timestamp_to_datetime(ts: Timestamp) -> datetime:
    """A proto Timestamp as an aware UTC datetime, to the microsecond."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)


def seconds_to_duration(seconds: float) -> Duration:
    whole = int(seconds)
    nanos = round((seconds - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return Duration(seconds=whole, nanos=nanos)


def record_from_proto(record: status_pb2.StatusRecord) -> InvocationStatusRecord:
    """pynenc's record (status, owner, server timestamp) of a StatusRecord."""
    return InvocationStatusRecord(
        status=from_proto_status(record.status),
        runner_id=record.runner_id if record.HasField("runner_id") else None,
        timestamp=timestamp_to_datetime(record.timestamp),
    )
