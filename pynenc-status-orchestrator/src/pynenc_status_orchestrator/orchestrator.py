"""pynenc orchestrators whose invocation statuses live in the pynenc-status service.

One class per delegate, each a subclass of pynenc's own orchestrator (so pynenc's checks such as
``isinstance(app.orchestrator, MemOrchestrator)`` see what they expect):

- ``PynencStatusSQLiteOrchestrator(SQLiteOrchestrator)``  (config ``sqlite_db_path``)
- ``PynencStatusMemOrchestrator(MemOrchestrator)``

What goes where, for every BaseOrchestrator method of pynenc 0.4.0 (abstract ones first):

| method | where |
|---|---|
| _register_new_invocations | service (Transition / BatchTransition REGISTERED) + delegate (task, call, retries index rows) |
| get_existing_invocations | delegate without statuses; with statuses: service ListInvocations (no args) or delegate candidates filtered by service BatchGet (args) |
| get_task_invocation_ids, get_call_invocation_ids | delegate |
| get_invocation_ids_paginated | service ListInvocations (newest registration first, offset) |
| count_invocations | service CountInvocations |
| _atomic_status_transition | service Transition |
| index_arguments_for_concurrency_control | delegate |
| set_up_invocation_auto_purge, auto_purge | delegate (the service keeps final records for its own retention) |
| get_invocation_status_record | service Get (final records cached: they never change) |
| increment_invocation_retries, get_invocation_retries | delegate |
| filter_by_status | service BatchGet (+ final cache) |
| purge | service PurgeNamespace + delegate purge |
| blocking_control | delegate edges; the "available for run" filter on the service (BatchGet) |
| register_runner_heartbeats | service Heartbeat |
| _get_active_runners | service ListRunners |
| get_pending_invocations_for_recovery | service ListRecoveryCandidates(PENDING_TIMEOUT, max_pending_seconds) |
| _get_running_invocations_for_recovery | service ListRecoveryCandidates(DEAD_RUNNER, threshold) |
| the five atomic-service execution methods | delegate |
| get_additional_invocations_to_run | base's loop, with the status read before PENDING left out for tasks without running concurrency control (the atomic transition is the check) |
| every other concrete BaseOrchestrator method (set_invocation_status, routing, concurrency control, get_blocking_invocations_to_run, reroute, get_active_runners, try_claim_atomic_service_run, ...) | base: they reach status only through the methods above |

The delegate's own status column (SQLite) or record dict (memory) is written at registration as a
placeholder, because its schema needs one, and never read: every status-dependent read above is
the service's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pynenc.conf.config_task import ConcurrencyControlType
from pynenc.exceptions import InvocationStatusError, InvocationStatusTransitionError
from pynenc.identifiers.invocation_id import InvocationId
from pynenc.invocation.status import InvocationStatus, InvocationStatusRecord
from pynenc.orchestrator.atomic_service import ActiveRunnerInfo
from pynenc.orchestrator.base_orchestrator import BaseBlockingControl
from pynenc.orchestrator.mem_orchestrator import MemBlockingControl, MemOrchestrator
from pynenc.orchestrator.sqlite_orchestrator import SQLiteBlockingControl, SQLiteOrchestrator
from pynenc.util.sqlite_utils import create_sqlite_connection as sqlite_conn
from pynenc_status.v1 import status_pb2

from .client import StatusClient, client_for, new_request_id
from .config import (
    ClientSettings,
    ConfigOrchestratorPynencStatusMem,
    ConfigOrchestratorPynencStatusSQLite,
)
from .convert import record_from_proto, seconds_to_duration, timestamp_to_datetime, to_proto_status
from .errors import is_already_registered, service_error_from_status, to_pynenc_exception

if TYPE_CHECKING:
    from pynenc.app import Pynenc
    from pynenc.invocation.dist_invocation import DistributedInvocation
    from pynenc.runner.runner_context import RunnerContext
    from pynenc.task import Task, TaskId

#: Server limits: ids per BatchGet / items per BatchTransition, page size of ListInvocations.
BATCH_LIMIT = 1000
#: Records per ListRecoveryCandidates call (the server's maximum).
RECOVERY_PAGE = 10_000
#: Final records kept per process (they never change, so the cache is never stale).
FINAL_CACHE_SIZE = 100_000

_REGISTERED = to_proto_status(InvocationStatus.REGISTERED)


class _FinalRecords:
    """A bounded cache of final records per (service, namespace, invocation id)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._records: OrderedDict[tuple[Any, str, str], InvocationStatusRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, str, str]) -> InvocationStatusRecord | None:
        return self._records.get(key)

    def put(self, key: tuple[Any, str, str], record: InvocationStatusRecord) -> None:
        if not record.status.is_final():
            return
        with self._lock:
            self._records[key] = record
            if len(self._records) > self._size:
                self._records.popitem(last=False)

    def forget_namespace(self, service: Any, namespace: str) -> None:
        with self._lock:
            for key in [key for key in self._records if key[0] == service and key[1] == namespace]:
                del self._records[key]


FINAL_RECORDS = _FinalRecords(FINAL_CACHE_SIZE)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class PynencStatusOrchestratorMixin:
    """The service side of both orchestrators; put it before the delegate in the bases."""

    app: Pynenc
    _conf_cls: type

    # -- configuration and the client ------------------------------------------------------------

    @cached_property
    def conf(self) -> Any:
        return self._conf_cls(config_values=self.app.config_values, config_filepath=self.app.config_filepath)

    @cached_property
    def status_settings(self) -> ClientSettings:
        return ClientSettings.from_conf(self.conf)

    @property
    def status_client(self) -> StatusClient:
        return client_for(self.status_settings)

    @cached_property
    def status_namespace(self) -> str:
        """The service namespace: ``pynenc_status_namespace``, or the app's app_id."""
        return self.conf.pynenc_status_namespace or self.app.app_id

    def _cache_key(self, invocation_id: str) -> tuple[Any, str, str]:
        return (self.status_settings.addresses, self.status_namespace, invocation_id)

    # -- writes ------------------------------------------------------------------------------------

    def _register_new_invocations(
        self,
        invocations: list[DistributedInvocation],
        runner_id: str | None = None,
    ) -> InvocationStatusRecord:
        # The delegate's index rows (task, call, retries = 0) first: local and cheap.
        status_record = super()._register_new_invocations(invocations, runner_id)  # type: ignore[misc]
        requests = [
            status_pb2.TransitionRequest(
                namespace=self.status_namespace,
                invocation_id=invocation.invocation_id,
                status=_REGISTERED,
                task_id=invocation.task.task_id.key,
                request_id=new_request_id(),
            )
            for invocation in invocations
        ]
        if len(requests) == 1:
            try:
                self.status_client.call("Transition", requests[0], write=True, invocation_id=requests[0].invocation_id)
            except InvocationStatusTransitionError as error:
                if error.from_status is None:  # not "already registered": a real refusal
                    raise
            return status_record
        for chunk in _chunks(requests, BATCH_LIMIT):
            response = self.status_client.call(
                "BatchTransition", status_pb2.BatchTransitionRequest(requests=chunk), write=True
            )
            for request, result in zip(chunk, response.results, strict=True):
                if result.WhichOneof("result") == "error":
                    error = service_error_from_status(result.error)
                    if not is_already_registered(error):
                        raise to_pynenc_exception(error, request.invocation_id)
        return status_record

    def _atomic_status_transition(
        self,
        invocation_id: InvocationId,
        status: InvocationStatus,
        runner_id: str | None = None,
    ) -> InvocationStatusRecord:
        request = status_pb2.TransitionRequest(
            namespace=self.status_namespace,
            invocation_id=invocation_id,
            status=to_proto_status(status),
            request_id=new_request_id(),
        )
        if runner_id is not None:
            request.runner_id = runner_id
        response = self.status_client.call("Transition", request, write=True, invocation_id=invocation_id)
        record = record_from_proto(response.record)
        FINAL_RECORDS.put(self._cache_key(invocation_id), record)
        return record

    def purge(self) -> None:
        self.status_client.call(
            "PurgeNamespace", status_pb2.PurgeNamespaceRequest(namespace=self.status_namespace), write=True
        )
        FINAL_RECORDS.forget_namespace(self.status_settings.addresses, self.status_namespace)
        super().purge()  # type: ignore[misc]

    def register_runner_heartbeats(
        self,
        runner_ids: list[str],
        can_run_atomic_service: bool = False,
        consumed_queues: Sequence[str] | None = None,
    ) -> None:
        if not runner_ids:
            return
        request = status_pb2.HeartbeatRequest(
            namespace=self.status_namespace,
            runner_ids=list(runner_ids),
            can_run_atomic_service=bool(can_run_atomic_service),
        )
        if consumed_queues is not None:
            # Unset keeps the queues stored (a parent's reports of its children carry none).
            request.consumed_queues.CopyFrom(status_pb2.QueueList(queues=list(consumed_queues)))
        self.status_client.call("Heartbeat", request, write=True)

    # -- status reads --------------------------------------------------------------------------------

    def get_invocation_status_record(self, invocation_id: InvocationId) -> InvocationStatusRecord:
        key = self._cache_key(invocation_id)
        cached = FINAL_RECORDS.get(key)
        if cached is not None:
            return cached
        response = self.status_client.call(
            "Get",
            status_pb2.GetRequest(namespace=self.status_namespace, invocation_id=invocation_id),
            invocation_id=invocation_id,
        )
        record = record_from_proto(response.record)
        FINAL_RECORDS.put(key, record)
        return record

    def get_records(self, invocation_ids: Iterable[str]) -> Iterator[tuple[str, InvocationStatusRecord]]:
        """(id, record) of each known id, in the order given (final ones from the cache)."""
        pending: list[str] = []
        for invocation_id in invocation_ids:
            cached = FINAL_RECORDS.get(self._cache_key(invocation_id))
            if cached is not None and not pending:
                yield invocation_id, cached
                continue
            pending.append(invocation_id)
            if len(pending) == BATCH_LIMIT:
                yield from self._batch_get(pending)
                pending = []
        if pending:
            yield from self._batch_get(pending)

    def _batch_get(self, invocation_ids: list[str]) -> Iterator[tuple[str, InvocationStatusRecord]]:
        known: dict[str, InvocationStatusRecord] = {}
        to_fetch = []
        for invocation_id in dict.fromkeys(invocation_ids):
            cached = FINAL_RECORDS.get(self._cache_key(invocation_id))
            if cached is not None:
                known[invocation_id] = cached
            else:
                to_fetch.append(invocation_id)
        if to_fetch:
            response = self.status_client.call(
                "BatchGet", status_pb2.BatchGetRequest(namespace=self.status_namespace, invocation_ids=to_fetch)
            )
            for proto in response.records:
                record = record_from_proto(proto)
                known[proto.invocation_id] = record
                FINAL_RECORDS.put(self._cache_key(proto.invocation_id), record)
        for invocation_id in invocation_ids:
            if invocation_id in known:
                yield invocation_id, known[invocation_id]

    def filter_by_status(
        self,
        invocation_ids: list[InvocationId],
        status_filter: frozenset[InvocationStatus],
    ) -> list[InvocationId]:
        if not invocation_ids or status_filter is None:
            return []
        wanted = frozenset(status_filter)
        return [
            InvocationId(invocation_id)
            for invocation_id, record in self.get_records(invocation_ids)
            if record.status in wanted
        ]

    def _iter_filter_by_status(
        self, invocation_ids: list[str], status_filter: frozenset[InvocationStatus]
    ) -> Iterator[InvocationId]:
        for invocation_id, record in self.get_records(invocation_ids):
            if record.status in status_filter:
                yield InvocationId(invocation_id)

    def get_existing_invocations(
        self,
        task: Task,
        key_serialized_arguments: dict[str, str] | None = None,
        statuses: list[InvocationStatus] | None = None,
    ) -> Iterator[InvocationId]:
        delegate = super().get_existing_invocations  # type: ignore[misc]
        if not statuses:
            yield from delegate(task, key_serialized_arguments, None)
            return
        if key_serialized_arguments:
            # The argument index is the delegate's; the statuses of its candidates are the service's.
            candidates = list(delegate(task, key_serialized_arguments, None))
            yield from self._iter_filter_by_status(candidates, frozenset(statuses))
            return
        # Callers mostly want the first match (next(...)): small pages.
        yield from self._list_invocation_ids(task_id=task.task_id.key, statuses=statuses, page_size=100)

    def _list_invocation_ids(
        self,
        *,
        task_id: str = "",
        statuses: list[InvocationStatus] | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: int = status_pb2.INVOCATION_ORDER_REVISION,
        page_size: int = BATCH_LIMIT,
    ) -> Iterator[InvocationId]:
        page_size = page_size if limit is None else max(1, min(limit, BATCH_LIMIT))
        request = status_pb2.ListInvocationsRequest(
            namespace=self.status_namespace,
            statuses=[to_proto_status(status) for status in statuses or ()],
            task_id=task_id,
            page_size=page_size,
            order=order,
            offset=offset,
        )
        returned = 0
        while True:
            response = self.status_client.call("ListInvocations", request)
            for record in response.records:
                if limit is not None and returned >= limit:
                    return
                returned += 1
                yield InvocationId(record.invocation_id)
            if not response.next_page_token or (limit is not None and returned >= limit):
                return
            request.page_token = response.next_page_token
            request.offset = 0

    def get_invocation_ids_paginated(
        self,
        task_id: TaskId | None = None,
        statuses: list[InvocationStatus] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[InvocationId]:
        if limit <= 0:
            return []
        return list(
            self._list_invocation_ids(
                task_id=task_id.key if task_id else "",
                statuses=statuses,
                limit=limit,
                offset=max(0, offset),
                order=status_pb2.INVOCATION_ORDER_NEWEST_REGISTRATION,
            )
        )

    def count_invocations(
        self,
        task_id: TaskId | None = None,
        statuses: list[InvocationStatus] | None = None,
    ) -> int:
        response = self.status_client.call(
            "CountInvocations",
            status_pb2.CountInvocationsRequest(namespace=self.status_namespace, task_id=task_id.key if task_id else ""),
        )
        if not statuses:
            return int(response.total)
        wanted = {to_proto_status(status) for status in statuses}
        return sum(int(count.count) for count in response.counts if count.status in wanted)

    # -- the runner's pull loop: one round trip fewer per invocation ------------------------------------

    def get_additional_invocations_to_run(
        self,
        missing_invocations: int,
        blocking_invocation_ids: set[InvocationId],
        invocations_to_reroute: set[InvocationId],
        runner_ctx: RunnerContext,
        queue_provider: Callable[[], Sequence[str]],
        on_queue_retrieved: Callable[[str], None],
    ) -> Iterator[DistributedInvocation]:
        """BaseOrchestrator's loop, except that an invocation whose task has no running
        concurrency control is moved to PENDING at once instead of after a status read: the
        transition itself is the check (PENDING is allowed exactly from the statuses that are
        available for run), atomically on the service. Tasks with running concurrency control
        take pynenc's own path (status read, concurrency check, then PENDING)."""
        while missing_invocations > 0:
            retrieved_invocation = False
            for queue_name in queue_provider():
                invocation_id = self.app.broker.retrieve_invocation(queue_name)
                if not invocation_id:
                    continue
                retrieved_invocation = True
                on_queue_retrieved(queue_name)
                if invocation_id in blocking_invocation_ids:
                    break
                invocation = self.app.state_backend.get_invocation(invocation_id)
                if invocation is None or invocation.task.conf.running_concurrency != ConcurrencyControlType.DISABLED:
                    found = yield from self._pynenc_pull_one(invocation_id, invocations_to_reroute, runner_ctx)
                    missing_invocations -= found
                    break
                try:
                    self.set_invocation_status(invocation_id, InvocationStatus.PENDING, runner_ctx)  # type: ignore[attr-defined]
                except InvocationStatusTransitionError:
                    pass  # not available for run (another runner has it, or it is final): as pynenc skips it
                except InvocationStatusError as error:
                    self.app.logger.warning(f"Could not set invocation:{invocation_id} to status:pending: {error}")
                else:
                    missing_invocations -= 1
                    yield invocation
                break
            if not retrieved_invocation:
                break

    def _pynenc_pull_one(
        self, invocation_id: InvocationId, invocations_to_reroute: set[InvocationId], runner_ctx: RunnerContext
    ) -> Generator[DistributedInvocation, None, int]:
        """pynenc's own handling of one retrieved invocation (BaseOrchestrator 0.4.0); returns 1
        when it was moved to PENDING and yielded."""
        if not self.get_invocation_status(invocation_id).is_available_for_run():  # type: ignore[attr-defined]
            return 0
        invocation = self.app.state_backend.get_invocation(invocation_id)
        if not self.is_candidate_to_run_by_concurrency_control(invocation):  # type: ignore[attr-defined]
            if invocation.task.conf.reroute_on_concurrency_control:
                self.set_invocation_status(invocation_id, InvocationStatus.CONCURRENCY_CONTROLLED, runner_ctx)  # type: ignore[attr-defined]
                invocations_to_reroute.add(invocation_id)
            else:
                self.set_invocation_status(invocation_id, InvocationStatus.CONCURRENCY_CONTROLLED_FINAL, runner_ctx)  # type: ignore[attr-defined]
            return 0
        try:
            self.set_invocation_status(invocation_id, InvocationStatus.PENDING, runner_ctx)  # type: ignore[attr-defined]
        except InvocationStatusError as error:
            self.app.logger.warning(f"Could not set invocation:{invocation_id} to status:pending: {error}")
            return 0
        yield invocation
        return 1

    # -- runners and recovery --------------------------------------------------------------------------

    def _get_active_runners(
        self, timeout_seconds: float, can_run_atomic_service: bool | None = None
    ) -> list[ActiveRunnerInfo]:
        request = status_pb2.ListRunnersRequest(
            namespace=self.status_namespace,
            alive_only=True,
            dead_after=seconds_to_duration(max(0.0, float(timeout_seconds))),
        )
        if can_run_atomic_service is not None:
            request.can_run_atomic_service = bool(can_run_atomic_service)
        response = self.status_client.call("ListRunners", request)
        return [
            ActiveRunnerInfo(
                runner_id=runner.runner_id,
                creation_time=timestamp_to_datetime(runner.created_at),
                last_heartbeat=timestamp_to_datetime(runner.last_heartbeat),
                allow_to_run_atomic_service=runner.can_run_atomic_service,
                consumed_queues=tuple(runner.consumed_queues),
            )
            for runner in response.runners
        ]

    def _recovery_candidates(self, rule: int, threshold_seconds: float) -> Iterator[InvocationId]:
        request = status_pb2.ListRecoveryCandidatesRequest(
            namespace=self.status_namespace,
            rule=rule,
            threshold=seconds_to_duration(max(0.0, float(threshold_seconds))),  # pynenc's tests pass 0
            page_size=RECOVERY_PAGE,
        )
        response = self.status_client.call("ListRecoveryCandidates", request)
        for record in response.records:
            yield InvocationId(record.invocation_id)

    def get_pending_invocations_for_recovery(self) -> Iterator[InvocationId]:
        # Read at call time, as pynenc's orchestrators do (tests lower it on the live conf).
        yield from self._recovery_candidates(
            status_pb2.RECOVERY_RULE_PENDING_TIMEOUT, self.app.conf.max_pending_seconds
        )

    def _get_running_invocations_for_recovery(self, timeout_seconds: float) -> Iterator[InvocationId]:
        yield from self._recovery_candidates(status_pb2.RECOVERY_RULE_DEAD_RUNNER, timeout_seconds)


# -- blocking control: the delegate's edges, the service's statuses --------------------------------------


class PynencStatusSQLiteBlockingControl(SQLiteBlockingControl):
    """SQLite's wait graph; "available for run" judged by the service, the limit applied after."""

    def get_blocking_invocations(self, max_num_invocations: int) -> Iterator[InvocationId]:
        if max_num_invocations == 0:
            return
        edges = self.tables.BLOCKING_EDGES
        with sqlite_conn(self.sqlite_db_path) as conn:
            cursor = conn.execute(
                f"""
                SELECT waited_id FROM {edges}
                WHERE waited_id NOT IN (SELECT waiter_id FROM {edges})
                GROUP BY waited_id
                ORDER BY MIN(rowid)
                """
            )
            candidates = [row[0] for row in cursor.fetchall()]
            cursor.close()
        available = InvocationStatus.get_available_for_run_statuses()
        found = self.app.orchestrator._iter_filter_by_status(candidates, available)  # type: ignore[attr-defined]
        for yielded, invocation_id in enumerate(found, start=1):
            yield invocation_id
            if 0 < max_num_invocations <= yielded:
                return


class PynencStatusMemBlockingControl(MemBlockingControl):
    """The memory wait graph; statuses of the ready set read in one BatchGet, not one Get each."""

    def get_blocking_invocations(self, max_num_invocations: int) -> Iterator[InvocationId]:
        with self._lock:
            candidates = list(self._ready)
        available = InvocationStatus.get_available_for_run_statuses()
        for invocation_id in self.app.orchestrator._iter_filter_by_status(candidates, available):  # type: ignore[attr-defined]
            max_num_invocations -= 1
            yield invocation_id
            if max_num_invocations == 0:
                return


# -- the two orchestrators ---------------------------------------------------------------------------------


class PynencStatusSQLiteOrchestrator(PynencStatusOrchestratorMixin, SQLiteOrchestrator):
    """Statuses, heartbeats and recovery in pynenc-status; the rest in pynenc's SQLite orchestrator.

    Config: ``sqlite_db_path`` as for SQLiteOrchestrator, plus the ``pynenc_status_*`` settings.
    """

    _conf_cls = ConfigOrchestratorPynencStatusSQLite

    def __init__(self, app: Pynenc) -> None:
        super().__init__(app)
        self._blocking_control = PynencStatusSQLiteBlockingControl(app, self.sqlite_db_path, self.tables)

    @property
    def blocking_control(self) -> BaseBlockingControl:
        return self._blocking_control


class PynencStatusMemOrchestrator(PynencStatusOrchestratorMixin, MemOrchestrator):
    """Statuses, heartbeats and recovery in pynenc-status; the rest in pynenc's memory orchestrator."""

    _conf_cls = ConfigOrchestratorPynencStatusMem

    @property
    def blocking_control(self) -> MemBlockingControl:
        if not self._blocking_control:
            self._blocking_control = PynencStatusMemBlockingControl(self.app)
        return self._blocking_control
