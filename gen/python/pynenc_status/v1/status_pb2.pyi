import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InvocationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVOCATION_STATUS_UNSPECIFIED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_REGISTERED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_CONCURRENCY_CONTROLLED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_CONCURRENCY_CONTROLLED_FINAL: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_REROUTED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_PENDING: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_PENDING_RECOVERY: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_RUNNING: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_RUNNING_RECOVERY: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_PAUSED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_RESUMED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_KILLED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_SUCCESS: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_FAILED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_RETRY: _ClassVar[InvocationStatus]

class InvocationOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVOCATION_ORDER_UNSPECIFIED: _ClassVar[InvocationOrder]
    INVOCATION_ORDER_REVISION: _ClassVar[InvocationOrder]
    INVOCATION_ORDER_REVISION_DESC: _ClassVar[InvocationOrder]
    INVOCATION_ORDER_NEWEST_REGISTRATION: _ClassVar[InvocationOrder]
    INVOCATION_ORDER_OLDEST_REGISTRATION: _ClassVar[InvocationOrder]

class RecoveryRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOVERY_RULE_UNSPECIFIED: _ClassVar[RecoveryRule]
    RECOVERY_RULE_PENDING_TIMEOUT: _ClassVar[RecoveryRule]
    RECOVERY_RULE_DEAD_RUNNER: _ClassVar[RecoveryRule]
INVOCATION_STATUS_UNSPECIFIED: InvocationStatus
INVOCATION_STATUS_REGISTERED: InvocationStatus
INVOCATION_STATUS_CONCURRENCY_CONTROLLED: InvocationStatus
INVOCATION_STATUS_CONCURRENCY_CONTROLLED_FINAL: InvocationStatus
INVOCATION_STATUS_REROUTED: InvocationStatus
INVOCATION_STATUS_PENDING: InvocationStatus
INVOCATION_STATUS_PENDING_RECOVERY: InvocationStatus
INVOCATION_STATUS_RUNNING: InvocationStatus
INVOCATION_STATUS_RUNNING_RECOVERY: InvocationStatus
INVOCATION_STATUS_PAUSED: InvocationStatus
INVOCATION_STATUS_RESUMED: InvocationStatus
INVOCATION_STATUS_KILLED: InvocationStatus
INVOCATION_STATUS_SUCCESS: InvocationStatus
INVOCATION_STATUS_FAILED: InvocationStatus
INVOCATION_STATUS_RETRY: InvocationStatus
INVOCATION_ORDER_UNSPECIFIED: InvocationOrder
INVOCATION_ORDER_REVISION: InvocationOrder
INVOCATION_ORDER_REVISION_DESC: InvocationOrder
INVOCATION_ORDER_NEWEST_REGISTRATION: InvocationOrder
INVOCATION_ORDER_OLDEST_REGISTRATION: InvocationOrder
RECOVERY_RULE_UNSPECIFIED: RecoveryRule
RECOVERY_RULE_PENDING_TIMEOUT: RecoveryRule
RECOVERY_RULE_DEAD_RUNNER: RecoveryRule

class StatusRecord(_message.Message):
    __slots__ = ("invocation_id", "status", "runner_id", "timestamp", "revision", "task_id", "namespace", "registered_at")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    status: InvocationStatus
    runner_id: str
    timestamp: _timestamp_pb2.Timestamp
    revision: int
    task_id: str
    namespace: str
    registered_at: _timestamp_pb2.Timestamp
    def __init__(self, invocation_id: _Optional[str] = ..., status: _Optional[_Union[InvocationStatus, str]] = ..., runner_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ..., task_id: _Optional[str] = ..., namespace: _Optional[str] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransitionRequest(_message.Message):
    __slots__ = ("invocation_id", "status", "runner_id", "expected_revision", "task_id", "validate_only", "request_id", "namespace")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    status: InvocationStatus
    runner_id: str
    expected_revision: int
    task_id: str
    validate_only: bool
    request_id: str
    namespace: str
    def __init__(self, invocation_id: _Optional[str] = ..., status: _Optional[_Union[InvocationStatus, str]] = ..., runner_id: _Optional[str] = ..., expected_revision: _Optional[int] = ..., task_id: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class TransitionResponse(_message.Message):
    __slots__ = ("record", "previous_status", "validated_only")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    VALIDATED_ONLY_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    validated_only: bool
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ..., validated_only: _Optional[bool] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("invocation_id", "namespace")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    namespace: str
    def __init__(self, invocation_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ...) -> None: ...

class WatchStatusRequest(_message.Message):
    __slots__ = ("invocation_ids", "statuses", "runner_id", "start_revision", "task_id", "include_initial", "namespace")
    INVOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    START_REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INITIAL_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    invocation_ids: _containers.RepeatedScalarFieldContainer[str]
    statuses: _containers.RepeatedScalarFieldContainer[InvocationStatus]
    runner_id: str
    start_revision: int
    task_id: str
    include_initial: bool
    namespace: str
    def __init__(self, invocation_ids: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[InvocationStatus, str]]] = ..., runner_id: _Optional[str] = ..., start_revision: _Optional[int] = ..., task_id: _Optional[str] = ..., include_initial: _Optional[bool] = ..., namespace: _Optional[str] = ...) -> None: ...

class WatchStatusResponse(_message.Message):
    __slots__ = ("change", "progress")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    change: StatusChange
    progress: WatchProgress
    def __init__(self, change: _Optional[_Union[StatusChange, _Mapping]] = ..., progress: _Optional[_Union[WatchProgress, _Mapping]] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("record", "previous_status", "previous_runner_id", "initial", "principal", "reason")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    previous_runner_id: str
    initial: bool
    principal: str
    reason: str
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ..., previous_runner_id: _Optional[str] = ..., initial: _Optional[bool] = ..., principal: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchProgress(_message.Message):
    __slots__ = ("revision",)
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class ListAvailableForRunRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "task_id", "namespace")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    task_id: str
    namespace: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., task_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class ListAvailableForRunResponse(_message.Message):
    __slots__ = ("records", "next_page_token", "revision")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    next_page_token: str
    revision: int
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class ClaimAvailableRequest(_message.Message):
    __slots__ = ("runner_id", "max_count", "task_id", "namespace")
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    runner_id: str
    max_count: int
    task_id: str
    namespace: str
    def __init__(self, runner_id: _Optional[str] = ..., max_count: _Optional[int] = ..., task_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class ClaimAvailableResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("runner_id", "namespace", "runner_ids", "can_run_atomic_service", "consumed_queues")
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RUNNER_IDS_FIELD_NUMBER: _ClassVar[int]
    CAN_RUN_ATOMIC_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_QUEUES_FIELD_NUMBER: _ClassVar[int]
    runner_id: str
    namespace: str
    runner_ids: _containers.RepeatedScalarFieldContainer[str]
    can_run_atomic_service: bool
    consumed_queues: QueueList
    def __init__(self, runner_id: _Optional[str] = ..., namespace: _Optional[str] = ..., runner_ids: _Optional[_Iterable[str]] = ..., can_run_atomic_service: _Optional[bool] = ..., consumed_queues: _Optional[_Union[QueueList, _Mapping]] = ...) -> None: ...

class QueueList(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queues: _Optional[_Iterable[str]] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("server_time",)
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("invocation_id", "namespace")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    namespace: str
    def __init__(self, invocation_id: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("record", "previous_status", "reason", "principal", "previous_runner_id")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    reason: str
    principal: str
    previous_runner_id: str
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ..., reason: _Optional[str] = ..., principal: _Optional[str] = ..., previous_runner_id: _Optional[str] = ...) -> None: ...

class DescribeStateMachineRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeStateMachineResponse(_message.Message):
    __slots__ = ("definitions", "profile")
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    definitions: _containers.RepeatedCompositeFieldContainer[StatusDefinition]
    profile: str
    def __init__(self, definitions: _Optional[_Iterable[_Union[StatusDefinition, _Mapping]]] = ..., profile: _Optional[str] = ...) -> None: ...

class StatusDefinition(_message.Message):
    __slots__ = ("status", "allowed_transitions", "is_final", "available_for_run", "requires_ownership", "acquires_ownership", "releases_ownership", "overrides_ownership")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FOR_RUN_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    ACQUIRES_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    RELEASES_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    status: InvocationStatus
    allowed_transitions: _containers.RepeatedScalarFieldContainer[InvocationStatus]
    is_final: bool
    available_for_run: bool
    requires_ownership: bool
    acquires_ownership: bool
    releases_ownership: bool
    overrides_ownership: bool
    def __init__(self, status: _Optional[_Union[InvocationStatus, str]] = ..., allowed_transitions: _Optional[_Iterable[_Union[InvocationStatus, str]]] = ..., is_final: _Optional[bool] = ..., available_for_run: _Optional[bool] = ..., requires_ownership: _Optional[bool] = ..., acquires_ownership: _Optional[bool] = ..., releases_ownership: _Optional[bool] = ..., overrides_ownership: _Optional[bool] = ...) -> None: ...

class BatchGetRequest(_message.Message):
    __slots__ = ("namespace", "invocation_ids")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    invocation_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, namespace: _Optional[str] = ..., invocation_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetResponse(_message.Message):
    __slots__ = ("records", "revision")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    revision: int
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ..., revision: _Optional[int] = ...) -> None: ...

class ListInvocationsRequest(_message.Message):
    __slots__ = ("namespace", "statuses", "task_id", "runner_id", "invocation_id_prefix", "page_size", "page_token", "order", "offset")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_PREFIX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    statuses: _containers.RepeatedScalarFieldContainer[InvocationStatus]
    task_id: str
    runner_id: str
    invocation_id_prefix: str
    page_size: int
    page_token: str
    order: InvocationOrder
    offset: int
    def __init__(self, namespace: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[InvocationStatus, str]]] = ..., task_id: _Optional[str] = ..., runner_id: _Optional[str] = ..., invocation_id_prefix: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order: _Optional[_Union[InvocationOrder, str]] = ..., offset: _Optional[int] = ...) -> None: ...

class ListInvocationsResponse(_message.Message):
    __slots__ = ("records", "next_page_token", "revision")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    next_page_token: str
    revision: int
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class CountInvocationsRequest(_message.Message):
    __slots__ = ("namespace", "task_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_id: str
    def __init__(self, namespace: _Optional[str] = ..., task_id: _Optional[str] = ...) -> None: ...

class StatusCount(_message.Message):
    __slots__ = ("status", "count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    status: InvocationStatus
    count: int
    def __init__(self, status: _Optional[_Union[InvocationStatus, str]] = ..., count: _Optional[int] = ...) -> None: ...

class CountInvocationsResponse(_message.Message):
    __slots__ = ("counts", "total", "revision")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[StatusCount]
    total: int
    revision: int
    def __init__(self, counts: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ..., total: _Optional[int] = ..., revision: _Optional[int] = ...) -> None: ...

class BatchTransitionRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[TransitionRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[TransitionRequest, _Mapping]]] = ...) -> None: ...

class BatchTransitionResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchTransitionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchTransitionResult, _Mapping]]] = ...) -> None: ...

class BatchTransitionResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: TransitionResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[TransitionResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class ListRunnersRequest(_message.Message):
    __slots__ = ("namespace", "can_run_atomic_service", "alive_only", "dead_after")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CAN_RUN_ATOMIC_SERVICE_FIELD_NUMBER: _ClassVar[int]
    ALIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    DEAD_AFTER_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    can_run_atomic_service: bool
    alive_only: bool
    dead_after: _duration_pb2.Duration
    def __init__(self, namespace: _Optional[str] = ..., can_run_atomic_service: _Optional[bool] = ..., alive_only: _Optional[bool] = ..., dead_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ListRunnersResponse(_message.Message):
    __slots__ = ("runners", "server_time")
    RUNNERS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    runners: _containers.RepeatedCompositeFieldContainer[RunnerInfo]
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, runners: _Optional[_Iterable[_Union[RunnerInfo, _Mapping]]] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunnerInfo(_message.Message):
    __slots__ = ("runner_id", "created_at", "last_heartbeat", "can_run_atomic_service", "consumed_queues", "alive", "owned")
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CAN_RUN_ATOMIC_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_QUEUES_FIELD_NUMBER: _ClassVar[int]
    ALIVE_FIELD_NUMBER: _ClassVar[int]
    OWNED_FIELD_NUMBER: _ClassVar[int]
    runner_id: str
    created_at: _timestamp_pb2.Timestamp
    last_heartbeat: _timestamp_pb2.Timestamp
    can_run_atomic_service: bool
    consumed_queues: _containers.RepeatedScalarFieldContainer[str]
    alive: bool
    owned: _containers.RepeatedCompositeFieldContainer[StatusCount]
    def __init__(self, runner_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_heartbeat: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., can_run_atomic_service: _Optional[bool] = ..., consumed_queues: _Optional[_Iterable[str]] = ..., alive: _Optional[bool] = ..., owned: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ...) -> None: ...

class ListRecoveryCandidatesRequest(_message.Message):
    __slots__ = ("namespace", "rule", "threshold", "page_size")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    rule: RecoveryRule
    threshold: _duration_pb2.Duration
    page_size: int
    def __init__(self, namespace: _Optional[str] = ..., rule: _Optional[_Union[RecoveryRule, str]] = ..., threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListRecoveryCandidatesResponse(_message.Message):
    __slots__ = ("records", "server_time", "revision")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    server_time: _timestamp_pb2.Timestamp
    revision: int
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ...) -> None: ...

class PurgeNamespaceRequest(_message.Message):
    __slots__ = ("namespace",)
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    def __init__(self, namespace: _Optional[str] = ...) -> None: ...

class PurgeNamespaceResponse(_message.Message):
    __slots__ = ("invocations_purged", "runners_purged")
    INVOCATIONS_PURGED_FIELD_NUMBER: _ClassVar[int]
    RUNNERS_PURGED_FIELD_NUMBER: _ClassVar[int]
    invocations_purged: int
    runners_purged: int
    def __init__(self, invocations_purged: _Optional[int] = ..., runners_purged: _Optional[int] = ...) -> None: ...

class WatchCountsRequest(_message.Message):
    __slots__ = ("namespace", "task_id", "interval")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_id: str
    interval: _duration_pb2.Duration
    def __init__(self, namespace: _Optional[str] = ..., task_id: _Optional[str] = ..., interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchCountsResponse(_message.Message):
    __slots__ = ("counts", "total", "revision", "transitions_per_second")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[StatusCount]
    total: int
    revision: int
    transitions_per_second: float
    def __init__(self, counts: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ..., total: _Optional[int] = ..., revision: _Optional[int] = ..., transitions_per_second: _Optional[float] = ...) -> None: ...
