import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
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

class StatusRecord(_message.Message):
    __slots__ = ("invocation_id", "status", "runner_id", "timestamp", "revision", "task_id")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    status: InvocationStatus
    runner_id: str
    timestamp: _timestamp_pb2.Timestamp
    revision: int
    task_id: str
    def __init__(self, invocation_id: _Optional[str] = ..., status: _Optional[_Union[InvocationStatus, str]] = ..., runner_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[int] = ..., task_id: _Optional[str] = ...) -> None: ...

class TransitionRequest(_message.Message):
    __slots__ = ("invocation_id", "status", "runner_id", "expected_revision", "task_id", "validate_only", "request_id")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    status: InvocationStatus
    runner_id: str
    expected_revision: int
    task_id: str
    validate_only: bool
    request_id: str
    def __init__(self, invocation_id: _Optional[str] = ..., status: _Optional[_Union[InvocationStatus, str]] = ..., runner_id: _Optional[str] = ..., expected_revision: _Optional[int] = ..., task_id: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class TransitionResponse(_message.Message):
    __slots__ = ("record", "previous_status")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("invocation_id",)
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    def __init__(self, invocation_id: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ...) -> None: ...

class WatchStatusRequest(_message.Message):
    __slots__ = ("invocation_ids", "statuses", "runner_id", "start_revision", "task_id", "include_initial")
    INVOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    START_REVISION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INITIAL_FIELD_NUMBER: _ClassVar[int]
    invocation_ids: _containers.RepeatedScalarFieldContainer[str]
    statuses: _containers.RepeatedScalarFieldContainer[InvocationStatus]
    runner_id: str
    start_revision: int
    task_id: str
    include_initial: bool
    def __init__(self, invocation_ids: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[InvocationStatus, str]]] = ..., runner_id: _Optional[str] = ..., start_revision: _Optional[int] = ..., task_id: _Optional[str] = ..., include_initial: _Optional[bool] = ...) -> None: ...

class WatchStatusResponse(_message.Message):
    __slots__ = ("change", "progress")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    change: StatusChange
    progress: WatchProgress
    def __init__(self, change: _Optional[_Union[StatusChange, _Mapping]] = ..., progress: _Optional[_Union[WatchProgress, _Mapping]] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("record", "previous_status", "previous_runner_id", "initial")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    previous_runner_id: str
    initial: bool
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ..., previous_runner_id: _Optional[str] = ..., initial: _Optional[bool] = ...) -> None: ...

class WatchProgress(_message.Message):
    __slots__ = ("revision",)
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class ListAvailableForRunRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "task_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    task_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., task_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("runner_id", "max_count", "task_id")
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    runner_id: str
    max_count: int
    task_id: str
    def __init__(self, runner_id: _Optional[str] = ..., max_count: _Optional[int] = ..., task_id: _Optional[str] = ...) -> None: ...

class ClaimAvailableResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[StatusRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[StatusRecord, _Mapping]]] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("runner_id",)
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    runner_id: str
    def __init__(self, runner_id: _Optional[str] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("server_time",)
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("invocation_id",)
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    def __init__(self, invocation_id: _Optional[str] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("record", "previous_status", "reason")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    record: StatusRecord
    previous_status: InvocationStatus
    reason: str
    def __init__(self, record: _Optional[_Union[StatusRecord, _Mapping]] = ..., previous_status: _Optional[_Union[InvocationStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class DescribeStateMachineRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeStateMachineResponse(_message.Message):
    __slots__ = ("definitions",)
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    definitions: _containers.RepeatedCompositeFieldContainer[StatusDefinition]
    def __init__(self, definitions: _Optional[_Iterable[_Union[StatusDefinition, _Mapping]]] = ...) -> None: ...

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
