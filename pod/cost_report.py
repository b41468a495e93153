"""Cost per conversation, realtime against async (`voicepod cost report`, docs/modes.md).

Realtime: what each call used while someone was on the line (its CallEnded usage, from the
transcript service), plus the phone line's minutes for a phone call (not in the call's own usage).
Async: what the work after the call used (batch STT seconds, texts, a phone message's minutes), from
the usage records the async worker keeps (stream VOICEPOD_USAGE), joined to the call by its id.
Prices: the table in gateway/providers/prices.py (list prices; VOICEPOD_PRICES_FILE overrides)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bus.contracts import async_work_pb2, transcript_pb2
from gateway.providers.prices import unit_price

Prices = Mapping[str, Mapping[str, float]]


@dataclass
class Conversation:
    call_id: str
    agent: str = ""
    started_at: str = ""
    channel: str = ""
    realtime_usd: float | None = None  # None: the call's record is not in the window asked for
    async_usd: float = 0.0
    async_kinds: list[str] = field(default_factory=list)
    items: dict[str, dict[str, float]] = field(default_factory=lambda: {"realtime": {}, "async": {}})

    @property
    def total_usd(self) -> float:
        return (self.realtime_usd or 0.0) + self.async_usd

    @property
    def mode(self) -> str:
        if self.async_kinds and self.realtime_usd is not None:
            return "both"
        return "async" if self.async_kinds else "realtime"


@dataclass(frozen=True)
class AgentTotals:
    agent: str
    conversations: int
    realtime_usd: float
    async_usd: float

    @property
    def total_usd(self) -> float:
        return self.realtime_usd + self.async_usd

    @property
    def per_conversation_usd(self) -> float:
        return self.total_usd / self.conversations if self.conversations else 0.0


def _add(items: dict[str, float], provider: str, unit: str, quantity: float) -> None:
    key = f"{provider} {unit}"
    items[key] = items.get(key, 0.0) + quantity


def conversations(
    calls: Iterable[transcript_pb2.CallSummary], usage: Iterable[async_work_pb2.UsageEvent], prices: Prices
) -> list[Conversation]:
    """One row per conversation, the calls' order first (newest first), then async-only ones."""
    found: dict[str, Conversation] = {}
    for call in calls:
        c = found.setdefault(call.call_id, Conversation(call.call_id))
        c.agent, c.channel = call.started.agent_name, call.started.channel
        c.started_at = call.started_at.ToJsonString() if call.HasField("started_at") else ""
        if not call.HasField("ended"):
            continue
        cost = call.ended.usage.cost_usd
        for item in call.ended.usage.items:
            _add(c.items["realtime"], item.provider, item.unit, item.quantity)
        if c.channel == "phone":  # the line's minutes, which the call's own usage leaves out
            unit = "outbound_minutes" if call.started.direction == "outbound" else "inbound_minutes"
            minutes = call.ended.duration_seconds / 60
            _add(c.items["realtime"], "twilio:voice", unit, minutes)
            cost += minutes * unit_price(prices, "twilio:voice", unit)
        c.realtime_usd = cost
    for event in usage:
        c = found.setdefault(event.call_id, Conversation(event.call_id))
        c.agent = c.agent or event.agent_name
        c.async_kinds.append(event.kind)
        for item in event.usage.items:
            _add(c.items["async"], item.provider, item.unit, item.quantity)
            c.async_usd += item.quantity * unit_price(prices, item.provider, item.unit)
    return list(found.values())


def by_agent(rows: Iterable[Conversation]) -> list[AgentTotals]:
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for c in rows:
        s = sums[c.agent or "-"]
        s[0] += 1
        s[1] += c.realtime_usd or 0.0
        s[2] += c.async_usd
    return [AgentTotals(agent, int(s[0]), s[1], s[2]) for agent, s in sorted(sums.items())]
