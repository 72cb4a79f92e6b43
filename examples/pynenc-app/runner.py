"""One runner process: `python runner.py` (start two of them). Stops on SIGTERM or Ctrl-C."""

import signal
import sys

from app import app


def stop(*_: object) -> None:
    app.runner.stop_runner_loop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print(f"runner {app.runner.runner_context.runner_id} started", flush=True)
try:
    app.runner.run()
except KeyboardInterrupt:
    stop()
