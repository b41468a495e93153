"""`voicepod cost report`: cost per conversation, realtime against async, per agent and per
conversation (pod/cost_report.py; formats in docs/modes.md)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext

from bus import events, subjects
from bus.contracts import async_work_pb2, transcript_pb2
from gateway.async_work.timestamps import from_ts, to_ts
from gateway.providers.prices import load_prices
from pod import ops_bus
from pod.cost_report import AgentTotals, Conversation, by_agent, conversations
from pod.ops_format import since, table, usd

AGENTS = ("AGENT", "CONVERSATIONS", "REALTIME", "ASYNC", "TOTAL", "PER CONVERSATION")
ROWS = ("CALL", "AGENT", "MODE", "REALTIME", "ASYNC", "TOTAL", "ASYNC WORK")
MAX_RECORDS = 100_000  # usage records read at most (a report, not an export)


async def usage_records(js: JetStreamContext, start: datetime | None, agent: str) -> list[async_work_pb2.UsageEvent]:
    """The async usage records kept since `start` (an ordered consumer reading the stream once)."""
    try:
        info = await js.stream_info(events.USAGE.name)
    except nats.js.errors.NotFoundError:
        return []  # no async work was ever done
    found: list[async_work_pb2.UsageEvent] = []
    if not info.state.messages:
        return found
    sub = await js.subscribe(f"{events.USAGE.subject_prefix}.>", ordered_consumer=True)
    try:
        for _ in range(min(info.state.messages, MAX_RECORDS)):
            msg = await sub.next_msg(timeout=5)
            event = async_work_pb2.UsageEvent.FromString(msg.data)
            if (start is None or from_ts(event.occurred_at) >= start) and agent in ("", event.agent_name):
                found.append(event)
            if msg.metadata.num_pending == 0:
                break
    except nats.errors.TimeoutError:
        raise ops_bus.OpsError("the usage records could not be read in time") from None
    finally:
        await sub.unsubscribe()
    return found


def _agent_row(t: AgentTotals) -> list[str]:
    return [t.agent, str(t.conversations), usd(t.realtime_usd), usd(t.async_usd), usd(t.total_usd),
            usd(t.per_conversation_usd)]  # fmt: skip


def _row(c: Conversation) -> list[str]:
    realtime = "-" if c.realtime_usd is None else usd(c.realtime_usd)
    return [c.call_id, c.agent or "-", c.mode, realtime, usd(c.async_usd), usd(c.total_usd),
            ", ".join(c.async_kinds) or "-"]  # fmt: skip


def as_json(totals: list[AgentTotals], rows: list[Conversation]) -> dict[str, Any]:
    return {
        "agents": [{"agent": t.agent, "conversations": t.conversations, "realtime_usd": round(t.realtime_usd, 6),
                    "async_usd": round(t.async_usd, 6), "total_usd": round(t.total_usd, 6),
                    "per_conversation_usd": round(t.per_conversation_usd, 6)} for t in totals],
        "conversations": [{"call_id": c.call_id, "agent": c.agent or None, "started_at": c.started_at or None,
                           "channel": c.channel or None, "mode": c.mode,
                           "realtime_usd": None if c.realtime_usd is None else round(c.realtime_usd, 6),
                           "async_usd": round(c.async_usd, 6), "total_usd": round(c.total_usd, 6),
                           "async_work": c.async_kinds,
                           "items": {k: {n: round(q, 3) for n, q in v.items()} for k, v in c.items.items()}}
                          for c in rows],
    }  # fmt: skip


async def show(services: ops_bus.Services, args: argparse.Namespace) -> int:
    request = transcript_pb2.ListCallsRequest(agent_name=args.agent or "", limit=args.limit)
    if args.since is not None:
        request.since.CopyFrom(to_ts(args.since))
    reply = await services.ask(subjects.LIST_CALLS, request)
    assert services.js is not None
    usage = await usage_records(services.js, args.since, args.agent or "")
    rows = conversations(reply.calls, usage, load_prices())
    totals = by_agent(rows)
    if args.json:
        print(json.dumps(as_json(totals, rows), indent=2))
    elif not rows:
        print("no conversations")
    else:
        print(table(AGENTS, [_agent_row(t) for t in totals], right=frozenset({1, 2, 3, 4, 5})))
        print()
        print(table(ROWS, [_row(c) for c in rows], right=frozenset({3, 4, 5})))
    return 0


def report(args: argparse.Namespace) -> int:
    return ops_bus.run(args, "cost report", lambda services: show(services, args))


def _limit(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"1..1000, not {text}")
    return value


def add_to(commands: Any) -> None:
    cost = commands.add_parser("cost", help="what conversations cost: `voicepod cost report`")
    kinds = cost.add_subparsers(dest="cost_command", required=True, metavar="KIND")
    r = kinds.add_parser("report", help="cost per conversation, realtime vs async, per agent and per conversation")
    r.add_argument("--since", type=since, default=None, metavar="WHEN",
                   help="only conversations since: an age (30m, 2h, 7d) or an ISO date/time")  # fmt: skip
    r.add_argument("--agent", default=None, help="only this agent's conversations")
    r.add_argument("--limit", type=_limit, default=1000, help="calls read at most (default and most: 1000)")
    r.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ops_bus.add_bus_arguments(r)
    r.set_defaults(run=report)
