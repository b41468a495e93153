"""A call's stored events -> a Transcript, and its JSON and plain-text exports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bus.contracts import events_pb2, transcript_pb2
from services.transcript.store import StoredCall

SPEAKERS = {events_pb2.SPEAKER_CALLER: "caller", events_pb2.SPEAKER_AGENT: "agent", events_pb2.SPEAKER_HUMAN: "human"}


def transcript_of(call_id: str, stored: Sequence[events_pb2.TranscriptEvent]) -> transcript_pb2.Transcript:
    out = transcript_pb2.Transcript(call_id=call_id)
    turns, timings = [], []
    for event in stored:
        kind = event.WhichOneof("body")
        if kind == "call_started":
            out.started.CopyFrom(event.call_started)
            if event.HasField("occurred_at"):
                out.started_at.CopyFrom(event.occurred_at)
        elif kind == "call_ended":
            out.ended.CopyFrom(event.call_ended)
        elif kind == "turn":
            turns.append(event.turn)
        elif kind == "turn_timing":
            timings.append(event.turn_timing)
    turns.sort(key=lambda t: (t.turn_index, t.started_at.ToNanoseconds()))
    out.turns.extend(turns)
    out.turn_timings.extend(sorted(timings, key=lambda t: (t.turn, t.first_audio_at.ToNanoseconds())))
    return out


def _clock(offset_ns: int) -> str:
    seconds = max(0, offset_ns // 1_000_000_000)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def as_text(t: transcript_pb2.Transcript) -> str:
    origin = t.turns[0].started_at.ToNanoseconds() if t.turns else 0
    lines = [f"Call {t.call_id}" + (f" with {t.started.agent_name}" if t.started.agent_name else "")]
    for turn in t.turns:
        who = SPEAKERS.get(turn.speaker, "unknown").capitalize()
        cut = " [interrupted]" if turn.interrupted else ""
        lines.append(f"[{_clock(turn.started_at.ToNanoseconds() - origin)}] {who}: {turn.text}{cut}")
    if t.HasField("ended"):
        lines.append(f"Call ended: {t.ended.reason} after {t.ended.duration_seconds:.0f} s")
        usage = t.ended.usage
        if usage.items or usage.tool_calls:
            used = ", ".join(f"{i.provider} {i.quantity:g} {i.unit}" for i in usage.items)
            lines.append(f"Usage: {usage.tool_calls} tool calls; {used or 'no provider usage'}; "
                         f"estimated cost ${usage.cost_usd:.4f}")  # fmt: skip
    return "\n".join(lines) + "\n"


def as_json(t: transcript_pb2.Transcript) -> str:
    def when(turn: events_pb2.TranscriptTurn, field: str) -> str | None:
        return getattr(turn, field).ToJsonString() if turn.HasField(field) else None

    doc: dict[str, Any] = {
        "call_id": t.call_id,
        "agent_name": t.started.agent_name or None,
        "channel": t.started.channel or None,
        "direction": t.started.direction or None,  # "outbound": we dialled them
        "ended": _ended(t.ended) if t.HasField("ended") else None,
        "turns": [
            {"index": turn.turn_index, "speaker": SPEAKERS.get(turn.speaker, "unknown"), "text": turn.text,
             "started_at": when(turn, "started_at"), "ended_at": when(turn, "ended_at"),
             "interrupted": turn.interrupted, "confidence": round(turn.confidence, 3)}
            for turn in t.turns
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=2) + "\n"


def _ended(ended: events_pb2.CallEnded) -> dict[str, Any]:
    return {"reason": ended.reason, "duration_seconds": ended.duration_seconds, "usage": _usage(ended.usage)}


def _usage(usage: events_pb2.CallUsage) -> dict[str, Any]:
    items = [{"provider": i.provider, "unit": i.unit, "quantity": i.quantity, "cost_usd": round(i.cost_usd, 6)}
             for i in usage.items]  # fmt: skip
    return {"tool_calls": usage.tool_calls, "cost_usd": round(usage.cost_usd, 6), "items": items}


def summary_of(call: StoredCall) -> transcript_pb2.CallSummary:
    started = call.started
    out = transcript_pb2.CallSummary(
        call_id=call.call_id, started_at=started.occurred_at, started=started.call_started, turns=len(call.turns),
        interrupted_turns=sum(1 for t in call.turns if t.interrupted),
    )  # fmt: skip
    if call.ended is not None:
        out.ended.CopyFrom(call.ended)
    return out
