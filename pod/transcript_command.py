"""`voicepod transcript CALL_ID`: one call as it went, from the transcript service (turns, each
answered turn's latency split, the call's end, usage and quality) and the audit service (tool
calls), on one timeline."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from bus import subjects
from bus.contracts import audit_pb2, events_pb2, transcript_pb2
from bus.ops_views import SPEAKERS, call_origin, tool_entries, turn_timing_dict
from bus.ops_views import transcript_dict as as_dict
from pod import ops_bus
from pod.ops_format import local_iso, table, usd


@dataclass(frozen=True)
class Moment:
    """One line of the call's timeline: a turn or a tool call."""

    at: Timestamp
    who: str
    what: str
    turn: int | None = None


def timeline(t: transcript_pb2.Transcript, tools: list[audit_pb2.AuditEntry]) -> list[Moment]:
    moments = [
        Moment(turn.started_at, SPEAKERS.get(turn.speaker, "unknown"),
               turn.text + (" [interrupted: the caller barged in]" if turn.interrupted else ""), turn.turn_index)
        for turn in t.turns
    ]  # fmt: skip
    moments += [Moment(x.first_audio_at, "latency", latency_text(x)) for x in t.turn_timings]
    for entry in tools:
        e = entry.event
        took = f" in {float(e.attributes['seconds']):.2f} s" if "seconds" in e.attributes else ""
        moments.append(Moment(e.occurred_at, "tool", f"{e.action.removeprefix('tool.')}: {e.outcome}{took}"))
    return sorted(moments, key=lambda m: m.at.ToNanoseconds())


def latency_text(x: events_pb2.TurnTiming) -> str:
    """Where the wait went: "turn 4 answered in 3.10 s: vad_wait 0.60 s, stt 2.10 s (slowest), …"."""
    d = turn_timing_dict(x)
    stages = ", ".join(f"{name} {seconds:.2f} s" + (" (slowest)" if name == d["slowest"] else "")
                       for name, seconds in d["stages"].items())  # fmt: skip
    prepared = " [prepared at a pause]" if x.prepared else ""
    return f"turn {x.turn} answered in {x.total_seconds:.2f} s: {stages}{prepared}"


def slowest_turn(t: transcript_pb2.Transcript) -> str | None:
    if not t.turn_timings:
        return None
    worst = max(t.turn_timings, key=lambda x: x.total_seconds)
    return f"slowest reply: {latency_text(worst)}"


def _offset(moment: Timestamp, origin: Timestamp | None) -> str:
    if origin is None:
        return "-"
    return f"+{(moment.ToNanoseconds() - origin.ToNanoseconds()) / 1e9:.1f}"


def as_text(t: transcript_pb2.Transcript, origin: Timestamp | None, tools: list[audit_pb2.AuditEntry]) -> str:
    s, e = t.started, t.ended
    lines = [f"call {t.call_id}  agent {s.agent_name or '-'}  channel {s.channel or '-'}"]
    if origin is not None:
        lines.append(f"started {local_iso(origin)}")
    if t.HasField("ended"):
        lines.append(f"ended: {e.reason} after {e.duration_seconds:.1f} s")
        lines.append("quality: " + _quality(e.quality))
    else:
        lines.append("ended: not yet (in progress, or its end was never recorded)")
    lines.append("")
    rows = [[local_iso(m.at)[11:19], _offset(m.at, origin), "" if m.turn is None else str(m.turn), m.who, m.what]
            for m in timeline(t, tools)]  # fmt: skip
    lines.append(table(("TIME", "+S", "TURN", "WHO", "WHAT"), rows, right=frozenset({1, 2})))
    slowest = slowest_turn(t)
    lines += ["", slowest] if slowest else []
    if t.HasField("ended"):
        lines += ["", *_usage(e.usage)]
    return "\n".join(lines)


def _quality(q: events_pb2.CallQuality) -> str:
    parts = []
    if q.HasField("rtt_seconds"):
        parts.append(f"rtt {q.rtt_seconds * 1000:.0f} ms")
    if q.HasField("jitter_seconds"):
        parts.append(f"jitter {q.jitter_seconds * 1000:.1f} ms")
    if q.HasField("fraction_lost"):
        parts.append(f"loss {q.fraction_lost * 100:.1f}%")
    parts += [f"barge-ins {q.barge_ins}", f"late frames {q.late_frames}"]
    return ", ".join(parts)


def _usage(u: events_pb2.CallUsage) -> list[str]:
    fallbacks = ", ".join(f"{reason} x{n}" for reason, n in sorted(u.fallbacks.items())) or "none"
    lines = [f"usage: {u.tool_calls} tool calls, fallbacks: {fallbacks}, estimated cost {usd(u.cost_usd)}"]
    lines += [f"  {i.provider}  {i.quantity:g} {i.unit}  {usd(i.cost_usd)}" for i in u.items]
    return lines


async def show_transcript(services: ops_bus.Services, call_id: str, as_json: bool) -> int:
    t = (await services.ask(subjects.GET_TRANSCRIPT, transcript_pb2.GetTranscriptRequest(call_id=call_id))).transcript
    try:
        trail = await services.ask(subjects.GET_AUDIT_TRAIL, audit_pb2.GetAuditTrailRequest(call_id=call_id))
        tools = tool_entries(trail)
    except ops_bus.OpsError as exc:  # the conversation is still worth showing
        print(f"voicepod transcript: no tool calls shown: {exc.message}", file=sys.stderr)
        tools = []
    origin = call_origin(t)
    print(json.dumps(as_dict(t, origin, tools), indent=2) if as_json else as_text(t, origin, tools))
    return 0


def transcript(args: argparse.Namespace) -> int:
    return ops_bus.run(args, "transcript", lambda services: show_transcript(services, args.call_id, args.json))


def add_to(commands: Any) -> None:
    c = commands.add_parser("transcript", help="one call: its turns, tool calls, barge-ins, fallbacks, usage, quality")
    c.add_argument("call_id", metavar="CALL_ID")
    c.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ops_bus.add_bus_arguments(c)
    c.set_defaults(run=transcript)
