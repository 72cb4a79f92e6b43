from __future__ import annotations

import pytest
from pynenc import PynencBuilder

from pynenc_status_orchestrator.config import ClientSettings, ConfigPynencStatus, parse_addresses
from pynenc_status_orchestrator.errors import PynencStatusConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:50051", ["127.0.0.1:50051"]),
        ("a.example:1, b.example:65535", ["a.example:1", "b.example:65535"]),
        ("[::1]:50051", ["[::1]:50051"]),
        ("dns:///status.internal:50051", ["dns:///status.internal:50051"]),
        ("unix:/run/status.sock", ["unix:/run/status.sock"]),
    ],
)
def test_addresses(value: str, expected: list[str]) -> None:
    assert parse_addresses(value) == expected


@pytest.mark.parametrize("value", ["", " ", "host", "host:", "host:0", "host:70000", "a:1,,b:2", "a b:1", "unix:"])
def test_bad_addresses(value: str) -> None:
    with pytest.raises(PynencStatusConfigError):
        parse_addresses(value)


def test_settings_from_config_values_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = ConfigPynencStatus(config_values={"pynenc_status_address": "a:1,b:2", "pynenc_status_timeout_sec": 2})
    settings = ClientSettings.from_conf(conf)
    assert settings.addresses == ("a:1", "b:2") and settings.timeout_sec == 2.0 and not settings.uses_tls
    monkeypatch.setenv("PYNENC__PYNENC_STATUS_ADDRESS", "env:3")
    monkeypatch.setenv("PYNENC__PYNENC_STATUS_TIMEOUT_SEC", "0.5")
    settings = ClientSettings.from_conf(ConfigPynencStatus(config_values={"pynenc_status_address": "a:1"}))
    assert settings.addresses == ("env:3",) and settings.timeout_sec == 0.5


def test_tls_rules() -> None:
    with pytest.raises(PynencStatusConfigError, match="go together"):
        ClientSettings(("a:1",), 1.0, tls_cert="c.pem").validate()
    with pytest.raises(PynencStatusConfigError, match="needs TLS"):
        ClientSettings(("a:1",), 1.0, token="t").validate()
    settings = ClientSettings(("a:1",), 1.0, tls_ca="system", token="secret")
    settings.validate()
    assert settings.uses_tls and "secret" not in repr(settings)
    with pytest.raises(PynencStatusConfigError, match="positive"):
        ClientSettings.from_conf(ConfigPynencStatus(config_values={"pynenc_status_timeout_sec": 0}))


def test_builder_maps_the_delegate_and_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYNENC__PYNENC_STATUS_ADDRESS", raising=False)
    builder = PynencBuilder().sqlite("/tmp/x.db").pynenc_status("h:1", namespace="ns", timeout_sec=3)
    assert builder._config["orchestrator_cls"] == "PynencStatusSQLiteOrchestrator"
    assert builder._config["pynenc_status_namespace"] == "ns"
    assert PynencBuilder().memory().pynenc_status()._config["orchestrator_cls"] == "PynencStatusMemOrchestrator"
    with pytest.raises(ValueError, match="call .sqlite"):
        PynencBuilder().pynenc_status("h:1")
    with pytest.raises(ValueError, match="not host:port"):
        PynencBuilder().memory().pynenc_status("nope")
    with pytest.raises(ValueError, match="after .sqlite"):
        PynencBuilder().memory().pynenc_status("h:1").sqlite("/tmp/y.db").build()
    monkeypatch.setenv("PYNENC__PYNENC_STATUS_ADDRESS", "bad address")
    with pytest.raises(ValueError, match="not host:port"):
        PynencBuilder().memory().pynenc_status().build()
