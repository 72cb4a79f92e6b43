"""A pynenc app whose invocation statuses live in pynenc-status.

Everything else (broker queue, results, arguments, the orchestrator's indexes) stays in pynenc's
SQLite components, in one file shared by the submitting process and every runner. Settings come
from env vars so every process builds the same app:

- EXAMPLE_DB: the SQLite file (default ./pynenc-example.db)
- PYNENC_STATUS_ADDRESS: the service's gRPC address (default 127.0.0.1:50051)
"""

import os
import time

from pynenc import PynencBuilder

app = (
    PynencBuilder()
    .app_id("pynenc-example")  # also the service namespace the statuses live in
    .sqlite(os.environ.get("EXAMPLE_DB", "pynenc-example.db"))
    .pynenc_status(os.environ.get("PYNENC_STATUS_ADDRESS", "127.0.0.1:50051"))
    .thread_runner()
    .build()
)


@app.task
def add(x: int, y: int) -> int:
    time.sleep(0.2)  # long enough for both runners to get work
    return x + y
