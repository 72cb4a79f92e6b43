"""N processes move the same REGISTERED invocations to PENDING through the plugin: one wins each.

This is the race pynenc-redis 0.3.0 loses (160-250 double winners out of 500 with 8 runners): its
transition reads, validates in Python and writes without WATCH. Through the plugin each transition
is one atomic step on the server, on every store.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter

from pynenc import PynencBuilder
from pynenc.call import Call
from pynenc.exceptions import InvocationStatusOwnershipError, InvocationStatusTransitionError
from pynenc.invocation import DistributedInvocation, InvocationStatus
from pynenc_status.v1 import status_pb2

from pynenc_status_orchestrator.convert import to_proto_status

PROCESSES = 6
INVOCATIONS = 300


def _app(address: str, namespace: str):
    return PynencBuilder().app_id(namespace).memory().pynenc_status(address).build()


# A module-level task (pynenc's tasks are module functions), bound to each test's app.
_placeholder = PynencBuilder().app_id("plugin-race-placeholder").memory().build()


@_placeholder.task
def work(value: int) -> int:
    return value


def _race(address: str, namespace: str, ids: list[str], runner: str, start_at: float, queue) -> None:
    app = _app(address, namespace)
    orchestrator = app.orchestrator
    orchestrator.count_invocations()  # connect (and check the state machine) before the start
    order = list(ids)
    random.Random(runner).shuffle(order)
    won, lost, other = [], 0, []
    while time.time() < start_at:
        time.sleep(0.001)
    for invocation_id in order:
        try:
            orchestrator._atomic_status_transition(invocation_id, InvocationStatus.PENDING, runner)
            won.append(invocation_id)
        except (InvocationStatusTransitionError, InvocationStatusOwnershipError):
            lost += 1
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on any
            other.append(repr(error))
    queue.put((runner, won, lost, other))


def test_one_winner_per_invocation(status_address: str, namespace: str) -> None:
    app = _app(status_address, namespace)
    work.app = app
    invocations = [DistributedInvocation.isolated(Call(work, work.args(i))) for i in range(INVOCATIONS)]
    # One call registers them all (BatchTransition), as pynenc's parallelize does.
    app.orchestrator._register_new_invocations(invocations)
    ids = [invocation.invocation_id for invocation in invocations]
    assert app.orchestrator.count_invocations(statuses=[InvocationStatus.REGISTERED]) == INVOCATIONS

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3.0
    workers = [
        context.Process(target=_race, args=(status_address, namespace, ids, f"runner-{n}", start_at, queue))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0

    errors = [error for _, _, _, other in results for error in other]
    assert errors == []
    wins = Counter(invocation_id for _, won, _, _ in results for invocation_id in won)
    assert set(wins) == set(ids), "every invocation has a winner"
    assert max(wins.values()) == 1, f"{sum(1 for n in wins.values() if n > 1)} invocations had several winners"
    assert sum(lost for _, _, lost, _ in results) == INVOCATIONS * (PROCESSES - 1)
    # More than one process won some: it was a race, not one process after the others.
    assert sum(1 for _, won, _, _ in results if won) > 1

    # The service agrees: each one PENDING, owned by its winner, with one PENDING in its history.
    winner_of = {invocation_id: runner for runner, won, _, _ in results for invocation_id in won}
    for invocation_id in random.Random(0).sample(ids, 30):
        record = app.orchestrator.get_invocation_status_record(invocation_id)
        assert record.status == InvocationStatus.PENDING
        assert record.runner_id == winner_of[invocation_id]
        history = app.orchestrator.status_client.call(
            "GetHistory", status_pb2.GetHistoryRequest(namespace=namespace, invocation_id=invocation_id)
        )
        statuses = [entry.record.status for entry in history.entries]
        assert statuses == [to_proto_status(InvocationStatus.REGISTERED), to_proto_status(InvocationStatus.PENDING)]
    assert app.orchestrator.count_invocations(statuses=[InvocationStatus.PENDING]) == INVOCATIONS
