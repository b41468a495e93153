"""The events a call sends its caller, as typed values: one class per event, the one schema.

A client reads each as a JSON object {"type": KIND, "at": epoch seconds, ...fields}
(`as_message`, the only place an event becomes JSON); docs/events.md is written for client authors
from these classes and `json_schema()` is their JSON Schema (a test holds both to the code). The
sinks that carry them are in gateway/call_events.py.
"""

from __future__ import annotations

import dataclasses
import time
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from gateway.stats import MediaSummary


@dataclass(frozen=True)
class CallEvent:
    kind: ClassVar[str] = ""

    def fields(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CallStarted(CallEvent):
    """The call is connected (its media flows)."""

    kind = "call.started"
    call_id: str


@dataclass(frozen=True)
class SpeechStarted(CallEvent):
    """The caller started speaking; `barge_in`: over the agent's reply."""

    kind = "speech.started"
    barge_in: bool


@dataclass(frozen=True)
class TurnEnded(CallEvent):
    """The caller's turn ended (endpointing); `speech_seconds` of it was speech."""

    kind = "turn.ended"
    turn: int
    speech_seconds: float


@dataclass(frozen=True)
class TranscriptInterim(CallEvent):
    """What the STT has heard of the turn in progress so far (it may change)."""

    kind = "transcript.interim"
    turn: int
    text: str


@dataclass(frozen=True)
class TranscriptFinal(CallEvent):
    """The turn's final text; `confidence` 0..1 when the STT gives one."""

    kind = "transcript.final"
    turn: int
    text: str
    confidence: float | None = None


@dataclass(frozen=True)
class AgentText(CallEvent):
    """A piece of the agent's reply as it starts playing (turn 0: the greeting)."""

    kind = "agent.text"
    text: str
    turn: int


@dataclass(frozen=True)
class AgentDone(CallEvent):
    """The whole reply to `turn` has played."""

    kind = "agent.done"
    turn: int


@dataclass(frozen=True)
class AgentPaused(CallEvent):
    """The caller spoke over the reply: it is paused until that speech is judged."""

    kind = "agent.paused"
    turn: int


@dataclass(frozen=True)
class AgentResumed(CallEvent):
    """That speech was a backchannel (`heard`: its text): the reply goes on where it stopped."""

    kind = "agent.resumed"
    turn: int
    paused_seconds: float
    heard: str


@dataclass(frozen=True)
class BargeIn(CallEvent):
    """It was not: the reply is dropped, `heard_fraction` of it played; the caller's turn is answered."""

    kind = "barge_in"
    turn: int
    heard_fraction: float


@dataclass(frozen=True)
class AgentFallback(CallEvent):
    """The LLM could not answer (timeout, error, a refused tool): the dialog answered instead."""

    kind = "agent.fallback"
    reason: str


@dataclass(frozen=True)
class AgentError(CallEvent):
    """The engine's provider reported an error (the Realtime API's `error` event)."""

    kind = "agent.error"
    engine: str
    code: str


@dataclass(frozen=True)
class ToolStarted(CallEvent):
    """The agent called a tool (a service over the bus); `ahead`: for a reply prepared while the
    caller may still be speaking (thrown away if they go on)."""

    kind = "tool.started"
    tool: str
    ahead: bool = False


@dataclass(frozen=True)
class ToolFinished(CallEvent):
    """The tool answered: `outcome` (ok, or the error's reason) after `seconds`."""

    kind = "tool.finished"
    tool: str
    outcome: str
    seconds: float
    ahead: bool = False


@dataclass(frozen=True)
class TurnLatency(CallEvent):
    """From the end of the caller's speech to the reply's first audio, by stage (they add up to
    total); `prepared`: the reply was prepared at a pause before the turn ended."""

    kind = "turn.latency"
    turn: int
    prepared: bool
    vad_wait_seconds: float
    stt_seconds: float
    agent_seconds: float
    tts_first_seconds: float
    gateway_seconds: float
    total_seconds: float


@dataclass(frozen=True)
class Stats(CallEvent):
    """The media link's figures every few seconds (fields: those of gateway/stats.py's MediaSummary)."""

    kind = "stats"
    summary: MediaSummary

    def fields(self) -> dict[str, Any]:
        return self.summary.as_dict()


@dataclass(frozen=True)
class CallEnded(CallEvent):
    """The call is over; `reason` says why (hangup, drain, media_inactive, …)."""

    kind = "call.ended"
    reason: str


# Shadow mode (docs/modes.md): what the desk's page, where a person answers, is sent.


@dataclass(frozen=True)
class DeskWaiting(CallEvent):
    """Shadow mode, the desk: the person is waiting; `queued` callers wait for a desk."""

    kind = "desk.waiting"
    queued: int


@dataclass(frozen=True)
class DeskConnected(CallEvent):
    """Shadow mode: a caller and a person at the desk are bridged (`agent`: the recommending agent,
    sent to the desk)."""

    kind = "desk.connected"
    call_id: str
    agent: str | None = None


@dataclass(frozen=True)
class DeskHeard(CallEvent):
    """Shadow mode, the desk: a turn of either side as heard; `speaker` is "caller" or "human"."""

    kind = "desk.heard"
    speaker: str
    text: str


@dataclass(frozen=True)
class ShadowRecommendation(CallEvent):
    """Shadow mode, the desk: what the agent would do after the caller's `turn` (0: the greeting):
    its reply, its tool calls (`actions`: read-only ones ran, with their results; writes did not),
    what it understood so far, and whether it would have acted here (`commits`)."""

    kind = "shadow.recommendation"
    turn: int
    caller_text: str
    reply: str
    commits: bool
    actions: list[dict[str, Any]]
    entities: dict[str, str]


@dataclass(frozen=True)
class DeskAction(CallEvent):
    """Shadow mode, the desk: a button the person pressed ran the agent's real `tool`."""

    kind = "desk.action"
    tool: str
    writes: bool
    result: dict[str, Any]


EVENT_TYPES: tuple[type[CallEvent], ...] = (
    CallStarted, SpeechStarted, TurnEnded, TranscriptInterim, TranscriptFinal, AgentText, AgentDone, AgentPaused,
    AgentResumed, BargeIn, AgentFallback, AgentError, ToolStarted, ToolFinished, TurnLatency, Stats, CallEnded,
    DeskWaiting, DeskConnected, DeskHeard, ShadowRecommendation, DeskAction,
)  # fmt: skip


def as_message(event: CallEvent) -> dict[str, Any]:
    """The event as its JSON object: the one place an event is serialised."""
    return {"type": event.kind, "at": round(time.time(), 3), **event.fields()}


def payload_fields(event_type: type[CallEvent]) -> dict[str, Any]:
    """The fields an event of this type carries, by name, with their Python types."""
    shape: type[Any] = MediaSummary if event_type is Stats else event_type
    hints = typing.get_type_hints(shape)
    return {f.name: hints[f.name] for f in dataclasses.fields(shape)}


def json_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of every event message: one of the kinds, each with its fields."""
    variants = []
    for event_type in EVENT_TYPES:
        fields = payload_fields(event_type)
        properties = {"type": {"const": event_type.kind}, "at": {"type": "number"}}
        properties |= {name: _schema_of(hint) for name, hint in fields.items()}
        variants.append({
            "title": event_type.__name__, "description": event_type.__doc__, "type": "object",
            "properties": properties, "required": ["type", "at", *fields], "additionalProperties": False,
        })  # fmt: skip
    schema = "https://json-schema.org/draft/2020-12/schema"
    return {"$schema": schema, "title": "voicepod call event", "oneOf": variants}


_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _schema_of(hint: Any) -> dict[str, Any]:
    if hint is Any:
        return {}  # any JSON value (a tool's result)
    if isinstance(hint, types.UnionType):
        return {"type": [_JSON_TYPES[arg] for arg in typing.get_args(hint)]}
    if typing.get_origin(hint) is dict:
        return {"type": "object", "additionalProperties": _schema_of(typing.get_args(hint)[1])}
    if typing.get_origin(hint) is list:
        return {"type": "array", "items": _schema_of(typing.get_args(hint)[0])}
    return {"type": _JSON_TYPES[hint]}
