"""pynenc-status-orchestrator: a pynenc 0.4 app keeps its invocation statuses in pynenc-status.

    app = PynencBuilder().sqlite("app.db").pynenc_status("127.0.0.1:50051").build()

or, without the builder, ``orchestrator_cls = "PynencStatusSQLiteOrchestrator"`` (or
``PynencStatusMemOrchestrator``) with ``pynenc_status_address``, e.g. as the env vars
``PYNENC__ORCHESTRATOR_CLS`` and ``PYNENC__PYNENC_STATUS_ADDRESS``.
"""

import os

# gRPC's fork support must be on before grpc is first imported: pynenc's ProcessRunner forks a
# process that has used its channels, and the child then makes its own (see client.py).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "1")

from .config import ConfigPynencStatus
from .errors import PynencStatusConfigError, PynencStatusError
from .orchestrator import PynencStatusMemOrchestrator, PynencStatusSQLiteOrchestrator

__all__ = [
    "ConfigPynencStatus",
    "PynencStatusConfigError",
    "PynencStatusError",
    "PynencStatusMemOrchestrator",
    "PynencStatusSQLiteOrchestrator",
]
