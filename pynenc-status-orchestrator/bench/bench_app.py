"""The bench's app: configured only through PYNENC__* env vars, so the runner's forked children and
the submitting process build the same app (built-in SQLite or the plugin)."""

from pynenc import Pynenc

app = Pynenc()


@app.task
def add(x: int, y: int) -> int:
    return x + y
