"""Submit N additions (`python submit.py N`, default 20), wait for the results, print them as JSON."""

import json
import sys

from app import add, app

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
invocations = add.parallelize([(i, i) for i in range(count)])  # registered in one BatchTransition
results = sorted(invocations.results)
assert results == [2 * i for i in range(count)], results
# The add task's own: pynenc's runners also register invocations of its core tasks (recovery checks).
status = app.orchestrator.count_invocations(task_id=add.task_id)
print(json.dumps({"results": results, "invocations_in_service": status}))
