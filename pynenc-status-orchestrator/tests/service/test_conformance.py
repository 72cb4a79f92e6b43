"""The server's pynenc-0.3 profile is the installed pynenc's state machine, and the plugin refuses a
server that serves another one."""

from __future__ import annotations

import pytest
from harness.servers import start_server
from pynenc import PynencBuilder
from pynenc.invocation import status as pynenc_status
from pynenc.invocation.status import InvocationStatus
from pynenc_status.v1 import status_pb2

from pynenc_status_orchestrator.client import client_for
from pynenc_status_orchestrator.config import ClientSettings
from pynenc_status_orchestrator.convert import FROM_PROTO, to_proto_status
from pynenc_status_orchestrator.errors import PynencStatusConfigError
from pynenc_status_orchestrator.state_machine import describe_differences

FLAGS = (
    "is_final",
    "available_for_run",
    "requires_ownership",
    "acquires_ownership",
    "releases_ownership",
    "overrides_ownership",
)


def _describe(address: str) -> status_pb2.DescribeStateMachineResponse:
    settings = ClientSettings(addresses=tuple(address.split(",")), timeout_sec=5.0)
    stub_call = client_for(settings)._connection().stubs[0].DescribeStateMachine
    return stub_call(status_pb2.DescribeStateMachineRequest(), timeout=5.0)


def test_server_serves_the_installed_pynenc_state_machine(status_address: str) -> None:
    for address in status_address.split(","):  # every replica
        response = _describe(address)
        assert response.profile == "pynenc-0.3"
        # One definition per pynenc status, in pynenc's declaration order, nothing else (no RESUMED).
        assert [FROM_PROTO.get(d.status) for d in response.definitions] == list(InvocationStatus)
        config = pynenc_status._CONFIG
        for definition in response.definitions:
            status = FROM_PROTO[definition.status]
            expected = config.get_definition(status)
            assert {FROM_PROTO[t] for t in definition.allowed_transitions} == set(expected.allowed_transitions), status
            for flag in FLAGS:
                assert getattr(definition, flag) == getattr(expected, flag), (status, flag)
        assert describe_differences(response) == []


def test_resumed_is_refused_under_pynenc_03(status_address: str, namespace: str) -> None:
    import grpc

    settings = ClientSettings(addresses=tuple(status_address.split(",")), timeout_sec=5.0)
    stub = client_for(settings)._connection().stubs[0]
    with pytest.raises(grpc.RpcError) as raised:
        stub.Transition(
            status_pb2.TransitionRequest(
                namespace=namespace, invocation_id="x", status=status_pb2.INVOCATION_STATUS_RESUMED, runner_id="r"
            ),
            timeout=5.0,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert to_proto_status(InvocationStatus.PAUSED) == status_pb2.INVOCATION_STATUS_PAUSED


def test_plugin_refuses_a_server_with_the_pynenc_02_state_machine(namespace: str) -> None:
    # The server's default profile is pynenc-0.2 (RESUMED; PAUSED -> RESUMED).
    server = start_server("memory", pynenc=False)
    try:
        app = PynencBuilder().app_id(namespace).memory().pynenc_status(server.grpc_address).build()
        with pytest.raises(PynencStatusConfigError) as raised:
            app.orchestrator.count_invocations()
        message = str(raised.value)
        assert "--state-machine pynenc-0.3" in message
        assert "paused" in message
    finally:
        server.stop()
