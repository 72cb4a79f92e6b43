"""The app of test_sigkill_recovery: configured only through PYNENC__* env vars (SQLite components,
the plugin's orchestrator, the service address), so the test process and each runner process
build the same app. ``python -c "import sigkill_app; sigkill_app.app.runner.run()"`` runs a runner."""

import os
import time
from pathlib import Path

from pynenc import Pynenc

app = Pynenc()


@app.task
def slow_once(marker: str) -> str:
    """The first attempt marks the file and hangs (its runner is killed); a rerun returns at once."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(600)
        return "first attempt finished (it should have been killed)"
    return f"finished by pid {os.getpid()}"
