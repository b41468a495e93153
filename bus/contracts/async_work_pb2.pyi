import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from bus.contracts import events_pb2 as _events_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VoicemailJob(_message.Message):
    __slots__ = ("job_id", "call_id", "agent_name", "channel", "caller_number", "recording_key", "duration_seconds", "recorded_at", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RECORDING_KEY_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    call_id: str
    agent_name: str
    channel: str
    caller_number: str
    recording_key: str
    duration_seconds: float
    recorded_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., call_id: _Optional[str] = ..., agent_name: _Optional[str] = ..., channel: _Optional[str] = ..., caller_number: _Optional[str] = ..., recording_key: _Optional[str] = ..., duration_seconds: _Optional[float] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class CallbackItem(_message.Message):
    __slots__ = ("item_id", "job_id", "source_call_id", "agent_name", "channel", "phone_e164", "name", "slot_start", "time_zone", "not_before", "deadline", "attempt", "max_attempts")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLOT_START_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    job_id: str
    source_call_id: str
    agent_name: str
    channel: str
    phone_e164: str
    name: str
    slot_start: _timestamp_pb2.Timestamp
    time_zone: str
    not_before: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    attempt: int
    max_attempts: int
    def __init__(self, item_id: _Optional[str] = ..., job_id: _Optional[str] = ..., source_call_id: _Optional[str] = ..., agent_name: _Optional[str] = ..., channel: _Optional[str] = ..., phone_e164: _Optional[str] = ..., name: _Optional[str] = ..., slot_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ...) -> None: ...

class UsageEvent(_message.Message):
    __slots__ = ("event_id", "call_id", "occurred_at", "agent_name", "kind", "usage")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    call_id: str
    occurred_at: _timestamp_pb2.Timestamp
    agent_name: str
    kind: str
    usage: _events_pb2.CallUsage
    def __init__(self, event_id: _Optional[str] = ..., call_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_name: _Optional[str] = ..., kind: _Optional[str] = ..., usage: _Optional[_Union[_events_pb2.CallUsage, _Mapping]] = ...) -> None: ...
