"""The plugin's settings: cistell ConfigFields, so pynenc config files, builder values and
``PYNENC__<FIELD>`` environment variables all set them (env wins, as for every pynenc setting)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cistell import ConfigField
from pynenc.conf.config_base import ConfigPynencBase
from pynenc.conf.config_orchestrator import ConfigOrchestrator, ConfigOrchestratorSQLite

from .errors import PynencStatusConfigError

DEFAULT_ADDRESS = "127.0.0.1:50051"


class ConfigPynencStatus(ConfigPynencBase):
    """Where the pynenc-status service is and how to reach it.

    :cvar ConfigField[str] pynenc_status_address:
        ``host:port`` of the service's gRPC port; a comma-separated list names replicas of one
        service (e.g. several servers on one Redis), which the plugin calls in turn (round robin),
        moving on to the next when one is unavailable. Env: ``PYNENC__PYNENC_STATUS_ADDRESS``.
    :cvar ConfigField[float] pynenc_status_timeout_sec:
        The deadline of every call, in seconds (each retry gets a new one).
    :cvar ConfigField[str] pynenc_status_namespace:
        The service namespace this app's invocations live in; empty (the default) means the app's
        ``app_id``, so apps with different app_ids stay apart on one service.
    :cvar ConfigField[str] pynenc_status_tls_ca:
        PEM file of the CA that signed the server's certificate; setting it (or the client
        certificate) turns TLS on. ``system`` means TLS with the system's default roots.
    :cvar ConfigField[str] pynenc_status_tls_cert:
        PEM client certificate for mutual TLS (with ``pynenc_status_tls_key``).
    :cvar ConfigField[str] pynenc_status_tls_key:
        PEM private key of ``pynenc_status_tls_cert``.
    :cvar ConfigField[str] pynenc_status_token:
        A bearer token sent with every call (gRPC call credentials; needs TLS).
    """

    pynenc_status_address = ConfigField(DEFAULT_ADDRESS)
    pynenc_status_timeout_sec = ConfigField(5.0)
    pynenc_status_namespace = ConfigField("")
    pynenc_status_tls_ca = ConfigField("")
    pynenc_status_tls_cert = ConfigField("")
    pynenc_status_tls_key = ConfigField("")
    pynenc_status_token = ConfigField("")


class ConfigOrchestratorPynencStatusSQLite(ConfigOrchestratorSQLite, ConfigPynencStatus):
    """The SQLite delegate's settings (``sqlite_db_path``, blocking control, ...) plus the service's."""


class ConfigOrchestratorPynencStatusMem(ConfigOrchestrator, ConfigPynencStatus):
    """The memory delegate's settings plus the service's."""


_HOST_PORT = re.compile(
    r"""^(?:
        \[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]     # [IPv6]
        | [A-Za-z0-9_.-]+                    # hostname or IPv4
    ):(?P<port>\d{1,5})$""",
    re.VERBOSE,
)
_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")


def parse_addresses(value: str) -> list[str]:
    """The gRPC targets of ``pynenc_status_address``: ``host:port`` (also ``[v6]:port``) or a
    target with a gRPC scheme (``dns:///host:port``, ``unix:/path``), comma-separated.

    :raises PynencStatusConfigError: when it is empty or one item is malformed.
    """
    if not isinstance(value, str) or not value.strip():
        raise PynencStatusConfigError(
            "pynenc_status_address is empty: set it to the service's gRPC address, e.g. 127.0.0.1:50051 "
            "(builder .pynenc_status('host:port') or env PYNENC__PYNENC_STATUS_ADDRESS)"
        )
    targets = []
    for item in value.split(","):
        target = item.strip()
        if not target:
            raise PynencStatusConfigError(f"pynenc_status_address {value!r} has an empty item")
        if target.startswith(_SCHEMES):
            rest = target.split(":", 1)[1].lstrip("/")
            if not rest:
                raise PynencStatusConfigError(f"pynenc_status_address item {target!r} names no host or path")
            targets.append(target)
            continue
        match = _HOST_PORT.match(target)
        if match is None:
            raise PynencStatusConfigError(
                f"pynenc_status_address item {target!r} is not host:port (e.g. 127.0.0.1:50051, [::1]:50051)"
            )
        port = int(match.group("port"))
        if not 0 < port < 65536:
            raise PynencStatusConfigError(f"pynenc_status_address item {target!r}: port {port} is out of range")
        targets.append(target)
    return targets


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs, validated; hashable, so one client serves equal settings."""

    addresses: tuple[str, ...]
    timeout_sec: float
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    token: str = ""

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert or self.tls_key)

    @classmethod
    def from_conf(cls, conf: ConfigPynencStatus) -> ClientSettings:
        timeout = float(conf.pynenc_status_timeout_sec)
        if not timeout > 0:
            raise PynencStatusConfigError(f"pynenc_status_timeout_sec must be positive, not {timeout}")
        settings = cls(
            addresses=tuple(parse_addresses(conf.pynenc_status_address)),
            timeout_sec=timeout,
            tls_ca=conf.pynenc_status_tls_ca or "",
            tls_cert=conf.pynenc_status_tls_cert or "",
            tls_key=conf.pynenc_status_tls_key or "",
            token=conf.pynenc_status_token or "",
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise PynencStatusConfigError(
                "pynenc_status_tls_cert and pynenc_status_tls_key go together (mutual TLS needs both)"
            )
        if self.token and not self.uses_tls:
            raise PynencStatusConfigError(
                "pynenc_status_token needs TLS, or the token would travel in clear: "
                "set pynenc_status_tls_ca (a CA file, or 'system' for the system's roots)"
            )

    def __repr__(self) -> str:  # never print the token
        token = "<set>" if self.token else ""
        return (
            f"ClientSettings(addresses={self.addresses!r}, timeout_sec={self.timeout_sec!r}, "
            f"tls_ca={self.tls_ca!r}, tls_cert={self.tls_cert!r}, tls_key={self.tls_key!r}, token={token!r})"
        )
