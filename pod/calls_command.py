"""`voicepod calls`: the recent calls, newest first, from the transcript service."""

from __future__ import annotations

import argparse
import json
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from bus import subjects
from bus.contracts import transcript_pb2
from bus.ops_views import call_summary_dict as as_dict
from bus.ops_views import quality_dict
from pod import ops_bus
from pod.ops_format import local_iso, seconds, since, table, usd

HEADER = ("STARTED", "CALL", "AGENT", "CHANNEL", "SECONDS", "TURNS", "OUTCOME", "COST",
          "RTT MS", "JITTER MS", "LOSS %", "BARGE-INS", "FALLBACKS")  # fmt: skip
NUMBERS = frozenset({4, 5, 7, 8, 9, 10, 11, 12})  # the columns of figures, aligned right


def _figure(value: float | int | None, scale: float, digits: int) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def row(call: transcript_pb2.CallSummary) -> list[str]:
    s, e = call.started, call.ended
    ended = call.HasField("ended")
    q = quality_dict(e.quality)
    return [
        local_iso(call.started_at), call.call_id, s.agent_name or "-", s.channel or "-",
        seconds(e.duration_seconds) if ended else "-", str(call.turns), e.reason if ended else "in progress",
        usd(e.usage.cost_usd) if ended else "-",
        _figure(q["rtt_seconds"], 1000, 0), _figure(q["jitter_seconds"], 1000, 1), _figure(q["fraction_lost"], 100, 1),
        str(q["barge_ins"]) if ended else "-", str(sum(e.usage.fallbacks.values())) if ended else "-",
    ]  # fmt: skip


async def show_calls(services: ops_bus.Services, request: transcript_pb2.ListCallsRequest, as_json: bool) -> int:
    reply = await services.ask(subjects.LIST_CALLS, request)
    if as_json:
        print(json.dumps([as_dict(c) for c in reply.calls], indent=2))
    elif not reply.calls:
        print("no calls")
    else:
        print(table(HEADER, [row(c) for c in reply.calls], right=NUMBERS))
    return 0


def calls(args: argparse.Namespace) -> int:
    request = transcript_pb2.ListCallsRequest(agent_name=args.agent or "", limit=args.limit)
    if args.since is not None:
        request.since.CopyFrom(_timestamp(args.since))
    return ops_bus.run(args, "calls", lambda services: show_calls(services, request, args.json))


def _timestamp(moment: Any) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def _limit(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"1..1000, not {text}")
    return value


def add_to(commands: Any) -> None:
    c = commands.add_parser("calls", help="recent calls: when, channel, duration, turns, outcome, cost, quality")
    c.add_argument("--since", type=since, default=None, metavar="WHEN",
                   help="only calls started since: an age (30m, 2h, 7d) or an ISO date/time (local unless it "
                   "has an offset)")  # fmt: skip
    c.add_argument("--agent", default=None, help="only this agent's calls")
    c.add_argument("--limit", type=_limit, default=50, help="at most this many (default 50, at most 1000)")
    c.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ops_bus.add_bus_arguments(c)
    c.set_defaults(run=calls)
