import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from bus.contracts import shadow_pb2 as _shadow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Speaker(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEAKER_UNSPECIFIED: _ClassVar[Speaker]
    SPEAKER_CALLER: _ClassVar[Speaker]
    SPEAKER_AGENT: _ClassVar[Speaker]
    SPEAKER_HUMAN: _ClassVar[Speaker]
SPEAKER_UNSPECIFIED: Speaker
SPEAKER_CALLER: Speaker
SPEAKER_AGENT: Speaker
SPEAKER_HUMAN: Speaker

class AuditEvent(_message.Message):
    __slots__ = ("event_id", "call_id", "occurred_at", "actor", "action", "outcome", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    call_id: str
    occurred_at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    outcome: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, event_id: _Optional[str] = ..., call_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., outcome: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TranscriptTurn(_message.Message):
    __slots__ = ("turn_index", "speaker", "text", "is_final", "started_at", "ended_at", "interrupted", "confidence")
    TURN_INDEX_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    turn_index: int
    speaker: Speaker
    text: str
    is_final: bool
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    interrupted: bool
    confidence: float
    def __init__(self, turn_index: _Optional[int] = ..., speaker: _Optional[_Union[Speaker, str]] = ..., text: _Optional[str] = ..., is_final: _Optional[bool] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interrupted: _Optional[bool] = ..., confidence: _Optional[float] = ...) -> None: ...

class CallStarted(_message.Message):
    __slots__ = ("agent_name", "channel", "direction")
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    agent_name: str
    channel: str
    direction: str
    def __init__(self, agent_name: _Optional[str] = ..., channel: _Optional[str] = ..., direction: _Optional[str] = ...) -> None: ...

class CallEnded(_message.Message):
    __slots__ = ("reason", "duration_seconds", "usage", "quality")
    REASON_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    reason: str
    duration_seconds: float
    usage: CallUsage
    quality: CallQuality
    def __init__(self, reason: _Optional[str] = ..., duration_seconds: _Optional[float] = ..., usage: _Optional[_Union[CallUsage, _Mapping]] = ..., quality: _Optional[_Union[CallQuality, _Mapping]] = ...) -> None: ...

class CallQuality(_message.Message):
    __slots__ = ("rtt_seconds", "jitter_seconds", "fraction_lost", "barge_ins", "late_frames")
    RTT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    JITTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_LOST_FIELD_NUMBER: _ClassVar[int]
    BARGE_INS_FIELD_NUMBER: _ClassVar[int]
    LATE_FRAMES_FIELD_NUMBER: _ClassVar[int]
    rtt_seconds: float
    jitter_seconds: float
    fraction_lost: float
    barge_ins: int
    late_frames: int
    def __init__(self, rtt_seconds: _Optional[float] = ..., jitter_seconds: _Optional[float] = ..., fraction_lost: _Optional[float] = ..., barge_ins: _Optional[int] = ..., late_frames: _Optional[int] = ...) -> None: ...

class UsageItem(_message.Message):
    __slots__ = ("provider", "unit", "quantity", "cost_usd")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    provider: str
    unit: str
    quantity: float
    cost_usd: float
    def __init__(self, provider: _Optional[str] = ..., unit: _Optional[str] = ..., quantity: _Optional[float] = ..., cost_usd: _Optional[float] = ...) -> None: ...

class CallUsage(_message.Message):
    __slots__ = ("items", "tool_calls", "cost_usd", "fallbacks")
    class FallbacksEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[UsageItem]
    tool_calls: int
    cost_usd: float
    fallbacks: _containers.ScalarMap[str, int]
    def __init__(self, items: _Optional[_Iterable[_Union[UsageItem, _Mapping]]] = ..., tool_calls: _Optional[int] = ..., cost_usd: _Optional[float] = ..., fallbacks: _Optional[_Mapping[str, int]] = ...) -> None: ...

class TurnTiming(_message.Message):
    __slots__ = ("turn", "prepared", "vad_wait_seconds", "stt_seconds", "agent_seconds", "tts_first_seconds", "gateway_seconds", "total_seconds", "first_audio_at")
    TURN_FIELD_NUMBER: _ClassVar[int]
    PREPARED_FIELD_NUMBER: _ClassVar[int]
    VAD_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    AGENT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TTS_FIRST_SECONDS_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FIRST_AUDIO_AT_FIELD_NUMBER: _ClassVar[int]
    turn: int
    prepared: bool
    vad_wait_seconds: float
    stt_seconds: float
    agent_seconds: float
    tts_first_seconds: float
    gateway_seconds: float
    total_seconds: float
    first_audio_at: _timestamp_pb2.Timestamp
    def __init__(self, turn: _Optional[int] = ..., prepared: _Optional[bool] = ..., vad_wait_seconds: _Optional[float] = ..., stt_seconds: _Optional[float] = ..., agent_seconds: _Optional[float] = ..., tts_first_seconds: _Optional[float] = ..., gateway_seconds: _Optional[float] = ..., total_seconds: _Optional[float] = ..., first_audio_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TranscriptEvent(_message.Message):
    __slots__ = ("event_id", "call_id", "occurred_at", "turn", "call_started", "call_ended", "turn_timing", "shadow_turn", "shadow_outcome")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    CALL_STARTED_FIELD_NUMBER: _ClassVar[int]
    CALL_ENDED_FIELD_NUMBER: _ClassVar[int]
    TURN_TIMING_FIELD_NUMBER: _ClassVar[int]
    SHADOW_TURN_FIELD_NUMBER: _ClassVar[int]
    SHADOW_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    call_id: str
    occurred_at: _timestamp_pb2.Timestamp
    turn: TranscriptTurn
    call_started: CallStarted
    call_ended: CallEnded
    turn_timing: TurnTiming
    shadow_turn: _shadow_pb2.ShadowTurn
    shadow_outcome: _shadow_pb2.ShadowOutcome
    def __init__(self, event_id: _Optional[str] = ..., call_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., turn: _Optional[_Union[TranscriptTurn, _Mapping]] = ..., call_started: _Optional[_Union[CallStarted, _Mapping]] = ..., call_ended: _Optional[_Union[CallEnded, _Mapping]] = ..., turn_timing: _Optional[_Union[TurnTiming, _Mapping]] = ..., shadow_turn: _Optional[_Union[_shadow_pb2.ShadowTurn, _Mapping]] = ..., shadow_outcome: _Optional[_Union[_shadow_pb2.ShadowOutcome, _Mapping]] = ...) -> None: ...
