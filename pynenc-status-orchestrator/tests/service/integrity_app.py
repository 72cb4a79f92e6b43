"""The app of test_status_transitions_integrity: pynenc's integration/orchestrator module of the same
name builds a SQLite app at import; this is that app with the plugin (PYNENC__* env vars set by the
test, so the PersistentProcessRunner's spawned workers build the same app)."""

from pynenc import Pynenc

app = Pynenc()


@app.task
def grandparent_task(family_id: str, num_children: int) -> None:
    """A task that triggers parent tasks."""
    grandparent_task.logger.info(f"Starting grandparent task {family_id}")
    invs = parent_task.parallelize([(f"{family_id}-parent-{i}", num_children) for i in range(num_children)])
    _ = list(invs.results)


@app.task
def parent_task(family_id: str, num_children: int) -> None:
    """A task that acts as a parent in invocation hierarchy."""
    parent_task.logger.info(f"Starting parent task {family_id}")
    invs = child_task.parallelize([(f"{family_id}-child-{i}",) for i in range(num_children)])
    _ = list(invs.results)


@app.task
def child_task(family_id: str) -> None:
    """A task that acts as a child in invocation hierarchy."""
    child_task.logger.info(f"Starting child task {family_id}")
