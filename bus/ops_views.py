"""What the transcript and audit services say about past calls, as plain JSON values: the
documents `voicepod calls|transcript|audit trail --json` print and the gateway's console shows."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from bus.contracts import audit_pb2, events_pb2, transcript_pb2

SPEAKERS = {events_pb2.SPEAKER_CALLER: "caller", events_pb2.SPEAKER_AGENT: "agent", events_pb2.SPEAKER_HUMAN: "human"}


def utc_iso(ts: Timestamp) -> str:
    return ts.ToDatetime(tzinfo=UTC).isoformat(timespec="milliseconds")


def quality_dict(q: events_pb2.CallQuality) -> dict[str, float | int | None]:
    """A call's quality figures; None for a figure never measured."""
    return {
        "rtt_seconds": q.rtt_seconds if q.HasField("rtt_seconds") else None,
        "jitter_seconds": q.jitter_seconds if q.HasField("jitter_seconds") else None,
        "fraction_lost": q.fraction_lost if q.HasField("fraction_lost") else None,
        "barge_ins": q.barge_ins,
        "late_frames": q.late_frames,
    }


STAGES = ("vad_wait", "stt", "agent", "tts_first", "gateway")  # a reply's latency split (gateway/turn_clock.py)


def turn_timing_dict(x: events_pb2.TurnTiming) -> dict[str, Any]:
    """An answered turn's latency by stage, and which stage took longest (the one to look into)."""
    stages = {s: round(getattr(x, f"{s}_seconds"), 3) for s in STAGES}
    return {"turn": x.turn, "total_seconds": round(x.total_seconds, 3), "prepared": x.prepared,
            "slowest": max(STAGES, key=lambda s: stages[s]), "stages": stages,
            "first_audio_at": utc_iso(x.first_audio_at) if x.HasField("first_audio_at") else None}  # fmt: skip


def call_summary_dict(call: transcript_pb2.CallSummary) -> dict[str, Any]:
    e = call.ended
    ended = call.HasField("ended")

    return {
        "call_id": call.call_id, "started_at": utc_iso(call.started_at),
        "agent_name": call.started.agent_name or None, "channel": call.started.channel or None,
        "turns": call.turns, "interrupted_turns": call.interrupted_turns,
        "ended": None if not ended else {
            "reason": e.reason, "duration_seconds": round(e.duration_seconds, 3),
            "cost_usd": round(e.usage.cost_usd, 6), "tool_calls": e.usage.tool_calls,
            "fallbacks": dict(e.usage.fallbacks),
            "quality": quality_dict(e.quality),
        },
    }  # fmt: skip


def call_origin(t: transcript_pb2.Transcript) -> Timestamp | None:
    """When the call started: its start event, else its first turn (a start never recorded)."""
    return t.started_at if t.HasField("started_at") else (t.turns[0].started_at if t.turns else None)


def tool_entries(trail: audit_pb2.GetAuditTrailResponse) -> list[audit_pb2.AuditEntry]:
    return [x for x in trail.entries if x.event.action.startswith("tool.")]


def transcript_dict(
    t: transcript_pb2.Transcript, origin: Timestamp | None, tools: list[audit_pb2.AuditEntry]
) -> dict[str, Any]:
    def when(ts: Timestamp, present: bool = True) -> str | None:
        return utc_iso(ts) if present else None

    e = t.ended
    return {
        "call_id": t.call_id, "agent_name": t.started.agent_name or None, "channel": t.started.channel or None,
        "started_at": when(origin) if origin is not None else None,
        "turns": [{"index": x.turn_index, "speaker": SPEAKERS.get(x.speaker, "unknown"), "text": x.text,
                   "started_at": when(x.started_at, x.HasField("started_at")),
                   "ended_at": when(x.ended_at, x.HasField("ended_at")),
                   "interrupted": x.interrupted, "confidence": round(x.confidence, 3)} for x in t.turns],
        "tool_calls": [{"tool": x.event.action.removeprefix("tool."), "outcome": x.event.outcome,
                        "at": utc_iso(x.event.occurred_at), "attributes": dict(x.event.attributes)} for x in tools],
        "turn_latency": [turn_timing_dict(x) for x in t.turn_timings],
        "ended": None if not t.HasField("ended") else {
            "reason": e.reason, "duration_seconds": round(e.duration_seconds, 3),
            "usage": {"tool_calls": e.usage.tool_calls, "cost_usd": round(e.usage.cost_usd, 6),
                      "fallbacks": dict(e.usage.fallbacks),
                      "items": [{"provider": i.provider, "unit": i.unit, "quantity": i.quantity,
                                 "cost_usd": round(i.cost_usd, 6)} for i in e.usage.items]},
            "quality": quality_dict(e.quality),
        },
    }  # fmt: skip


def audit_entry_dict(entry: audit_pb2.AuditEntry) -> dict[str, Any]:
    e = entry.event
    return {
        "sequence": entry.sequence, "event_id": e.event_id, "occurred_at": utc_iso(e.occurred_at),
        "recorded_at": utc_iso(entry.recorded_at), "actor": e.actor, "action": e.action, "outcome": e.outcome,
        "attributes": dict(e.attributes), "prev_hash": entry.prev_hash, "hash": entry.hash,
    }  # fmt: skip


def chain_dict(v: audit_pb2.VerifyAuditChainResponse) -> dict[str, Any]:
    """The audit log's hash chain as the audit service checked it."""
    return {"ok": v.ok, "entries_checked": v.entries_checked,
            "first_broken_sequence": None if v.ok else v.first_broken_sequence, "detail": v.detail}  # fmt: skip
