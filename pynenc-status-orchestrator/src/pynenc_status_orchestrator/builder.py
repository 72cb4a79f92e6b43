"""``PynencBuilder().sqlite(path).pynenc_status("host:50051")``: pynenc's builder, one more method.

pynenc calls ``PynencStatusBuilderPlugin.register_builder_methods(PynencBuilder)`` for the entry
point ``pynenc_status_builder`` (group ``pynenc.plugins``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ClientSettings, ConfigPynencStatus, parse_addresses
from .errors import PynencStatusConfigError

if TYPE_CHECKING:
    from pynenc.builder import PynencBuilder

#: pynenc's orchestrator class -> the plugin's class with that delegate.
PLUGIN_CLASSES = {
    "SQLiteOrchestrator": "PynencStatusSQLiteOrchestrator",
    "MemOrchestrator": "PynencStatusMemOrchestrator",
}
PLUGIN_COMPONENT = "pynenc_status"


def pynenc_status(
    builder: PynencBuilder,
    address: str | None = None,
    *,
    timeout_sec: float | None = None,
    namespace: str | None = None,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    token: str | None = None,
) -> PynencBuilder:
    """Keep the app's invocation statuses in the pynenc-status service at ``address``.

    Call it after ``.sqlite(path)`` or ``.memory()``: everything else (broker, state backend,
    the orchestrator's indexes) stays there. ``address`` is ``host:port`` or a comma-separated
    list of replicas; without it, ``PYNENC__PYNENC_STATUS_ADDRESS`` or the default
    ``127.0.0.1:50051`` is used. ``namespace`` defaults to the app's app_id.
    """
    current = builder._config.get("orchestrator_cls")
    if current in PLUGIN_CLASSES:
        builder._config["orchestrator_cls"] = PLUGIN_CLASSES[current]
    elif current not in PLUGIN_CLASSES.values():
        raise ValueError(
            "pynenc_status() keeps the rest of the app in pynenc's SQLite or memory components: "
            f"call .sqlite(path) or .memory() before it (the orchestrator is {current or 'not set'})"
        )
    values: dict[str, Any] = {
        "pynenc_status_address": address,
        "pynenc_status_timeout_sec": timeout_sec,
        "pynenc_status_namespace": namespace,
        "pynenc_status_tls_ca": tls_ca,
        "pynenc_status_tls_cert": tls_cert,
        "pynenc_status_tls_key": tls_key,
        "pynenc_status_token": token,
    }
    if address is not None:
        try:
            parse_addresses(address)
        except PynencStatusConfigError as error:
            raise ValueError(str(error)) from None
    builder._config.update({key: value for key, value in values.items() if value is not None})
    builder._plugin_components.add(PLUGIN_COMPONENT)
    return builder


def validate_pynenc_status_config(config: dict[str, Any]) -> None:
    """Run by ``build()``: the address is present and well formed, TLS settings agree, and the
    orchestrator is still the plugin's (``.sqlite()``/``.memory()`` after ``.pynenc_status()``
    would silently switch it back)."""
    uses_plugin = str(config.get("orchestrator_cls", "")) in PLUGIN_CLASSES.values()
    configured = any(key.startswith("pynenc_status_") for key in config)
    if not uses_plugin and not configured:
        return
    if configured and not uses_plugin:
        raise ValueError(
            f"pynenc_status settings are given but the orchestrator is {config.get('orchestrator_cls')!r}: "
            "call .pynenc_status(...) after .sqlite(path) or .memory()"
        )
    try:
        # The same resolution the app will make: env vars and config files win over builder values.
        ClientSettings.from_conf(ConfigPynencStatus(config_values=config))
    except PynencStatusConfigError as error:
        raise ValueError(str(error)) from None


class PynencStatusBuilderPlugin:
    """Adds ``pynenc_status(...)`` to PynencBuilder, and its validator."""

    @staticmethod
    def register_builder_methods(builder_cls: type[PynencBuilder]) -> None:
        builder_cls.register_plugin_method("pynenc_status", pynenc_status)
        builder_cls.register_plugin_validator(validate_pynenc_status_config)
