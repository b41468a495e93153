import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from bus.contracts import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSON: _ClassVar[ExportFormat]
    EXPORT_FORMAT_TEXT: _ClassVar[ExportFormat]
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat
EXPORT_FORMAT_TEXT: ExportFormat

class Transcript(_message.Message):
    __slots__ = ("call_id", "turns", "started", "ended", "started_at", "turn_timings")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    TURN_TIMINGS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    turns: _containers.RepeatedCompositeFieldContainer[_events_pb2.TranscriptTurn]
    started: _events_pb2.CallStarted
    ended: _events_pb2.CallEnded
    started_at: _timestamp_pb2.Timestamp
    turn_timings: _containers.RepeatedCompositeFieldContainer[_events_pb2.TurnTiming]
    def __init__(self, call_id: _Optional[str] = ..., turns: _Optional[_Iterable[_Union[_events_pb2.TranscriptTurn, _Mapping]]] = ..., started: _Optional[_Union[_events_pb2.CallStarted, _Mapping]] = ..., ended: _Optional[_Union[_events_pb2.CallEnded, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., turn_timings: _Optional[_Iterable[_Union[_events_pb2.TurnTiming, _Mapping]]] = ...) -> None: ...

class GetTranscriptRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class GetTranscriptResponse(_message.Message):
    __slots__ = ("transcript",)
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    transcript: Transcript
    def __init__(self, transcript: _Optional[_Union[Transcript, _Mapping]] = ...) -> None: ...

class ExportTranscriptRequest(_message.Message):
    __slots__ = ("call_id", "format")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    format: ExportFormat
    def __init__(self, call_id: _Optional[str] = ..., format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

class ExportTranscriptResponse(_message.Message):
    __slots__ = ("content_type", "content")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    content: bytes
    def __init__(self, content_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("since", "agent_name", "limit")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    agent_name: str
    limit: int
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_name: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class CallSummary(_message.Message):
    __slots__ = ("call_id", "started_at", "started", "ended", "turns", "interrupted_turns")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_TURNS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    started_at: _timestamp_pb2.Timestamp
    started: _events_pb2.CallStarted
    ended: _events_pb2.CallEnded
    turns: int
    interrupted_turns: int
    def __init__(self, call_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started: _Optional[_Union[_events_pb2.CallStarted, _Mapping]] = ..., ended: _Optional[_Union[_events_pb2.CallEnded, _Mapping]] = ..., turns: _Optional[int] = ..., interrupted_turns: _Optional[int] = ...) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[CallSummary]
    def __init__(self, calls: _Optional[_Iterable[_Union[CallSummary, _Mapping]]] = ...) -> None: ...

class ListShadowRecordsRequest(_message.Message):
    __slots__ = ("since", "agent_name")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    agent_name: str
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_name: _Optional[str] = ...) -> None: ...

class ListShadowRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_events_pb2.TranscriptEvent]
    def __init__(self, records: _Optional[_Iterable[_Union[_events_pb2.TranscriptEvent, _Mapping]]] = ...) -> None: ...
