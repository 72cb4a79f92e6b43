from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pynenc.invocation import status as pynenc_status
from pynenc.invocation.status import InvocationStatus
from pynenc_status.v1 import status_pb2

from pynenc_status_orchestrator.convert import (
    from_proto_status,
    record_from_proto,
    seconds_to_duration,
    to_proto_status,
)
from pynenc_status_orchestrator.errors import PynencStatusConfigError
from pynenc_status_orchestrator.state_machine import check_state_machine, describe_differences


def test_every_pynenc_status_has_its_proto_value() -> None:
    for status in InvocationStatus:
        number = to_proto_status(status)
        assert status_pb2.InvocationStatus.Name(number) == f"INVOCATION_STATUS_{status.name}"
        assert from_proto_status(number) is status
    with pytest.raises(ValueError, match="RESUMED"):
        from_proto_status(status_pb2.INVOCATION_STATUS_RESUMED)


def test_record_and_durations() -> None:
    record = status_pb2.StatusRecord(
        invocation_id="i",
        status=status_pb2.INVOCATION_STATUS_RUNNING,
        runner_id="r",
        timestamp=Timestamp(seconds=10, nanos=1500),
    )
    converted = record_from_proto(record)
    assert converted.status == InvocationStatus.RUNNING and converted.runner_id == "r"
    assert converted.timestamp == datetime(1970, 1, 1, 0, 0, 10, 1, tzinfo=UTC)
    assert record_from_proto(status_pb2.StatusRecord(status=1)).runner_id is None
    assert seconds_to_duration(1.5).seconds == 1 and seconds_to_duration(1.5).nanos == 500_000_000
    assert seconds_to_duration(1e-6).nanos == 1000


def _describe_pynenc() -> status_pb2.DescribeStateMachineResponse:
    config = pynenc_status._CONFIG
    return status_pb2.DescribeStateMachineResponse(
        profile="pynenc-0.3",
        definitions=[
            status_pb2.StatusDefinition(
                status=to_proto_status(status),
                allowed_transitions=[to_proto_status(t) for t in config.get_definition(status).allowed_transitions],
                is_final=config.get_definition(status).is_final,
                available_for_run=config.get_definition(status).available_for_run,
                requires_ownership=config.get_definition(status).requires_ownership,
                acquires_ownership=config.get_definition(status).acquires_ownership,
                releases_ownership=config.get_definition(status).releases_ownership,
                overrides_ownership=config.get_definition(status).overrides_ownership,
            )
            for status in InvocationStatus
        ],
    )


def test_same_table_passes_and_every_difference_is_named() -> None:
    response = _describe_pynenc()
    assert describe_differences(response) == []
    check_state_machine(response, "here")
    paused = next(d for d in response.definitions if d.status == status_pb2.INVOCATION_STATUS_PAUSED)
    del paused.allowed_transitions[:]
    paused.allowed_transitions.extend([status_pb2.INVOCATION_STATUS_RESUMED, status_pb2.INVOCATION_STATUS_KILLED])
    response.definitions.append(status_pb2.StatusDefinition(status=status_pb2.INVOCATION_STATUS_RESUMED))
    response.profile = "pynenc-0.2"
    differences = describe_differences(response)
    assert any(d.startswith("paused: pynenc allows") for d in differences)
    assert any(d.startswith("INVOCATION_STATUS_RESUMED: served") for d in differences)
    with pytest.raises(PynencStatusConfigError, match="--state-machine pynenc-0.3"):
        check_state_machine(response, "here")
