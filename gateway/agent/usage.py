"""What a conversation used (tokens, audio seconds, characters, tool calls) and what it
is estimated to have cost, per provider. Counted live into per-agent metrics; the call's
totals go with its transcript when it ends."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from prometheus_client import Counter

from bus.contracts import events_pb2
from gateway.providers.prices import load_prices, unit_price

USAGE = Counter("voicepod_agent_usage_total", "Provider usage by agent, provider, unit.", ["agent", "provider", "unit"])
COST = Counter("voicepod_agent_cost_usd_total", "Estimated provider cost (USD, list prices).", ["agent", "provider"])
TOOL_CALLS = Counter("voicepod_agent_tool_calls_total", "Tool calls, by outcome.", ["agent", "tool", "outcome"])
FALLBACKS = Counter("voicepod_agent_fallbacks_total", "LLM calls handed to the dialog.", ["agent", "reason"])
CONVERSATIONS = Counter("voicepod_agent_conversations_total", "Conversations that ended, by agent.", ["agent"])

_PRICES: dict[str, dict[str, float]] | None = None


def _prices() -> dict[str, dict[str, float]]:
    global _PRICES
    if _PRICES is None:
        _PRICES = load_prices()
    return _PRICES


class UsageMeter:
    def __init__(self, agent: str, prices: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.agent = agent
        self._prices = prices
        self.quantities: dict[tuple[str, str], float] = defaultdict(float)
        self.tool_calls = 0
        self.fallbacks: dict[str, int] = defaultdict(int)

    def add(self, provider: str, unit: str, quantity: float) -> None:
        if quantity <= 0:
            return
        self.quantities[(provider, unit)] += quantity
        USAGE.labels(self.agent, provider, unit).inc(quantity)
        cost = quantity * self._price(provider, unit)
        if cost:
            COST.labels(self.agent, provider).inc(cost)

    def tool_call(self, tool: str, outcome: str) -> None:
        self.tool_calls += 1
        TOOL_CALLS.labels(self.agent, tool, outcome).inc()

    def fallback(self, reason: str) -> None:
        """A component handed over to its backup ("llm:timeout"); kept with the call's usage."""
        self.fallbacks[reason] += 1

    @property
    def cost_usd(self) -> float:
        return sum(q * self._price(p, u) for (p, u), q in self.quantities.items())

    def ended(self) -> events_pb2.CallUsage:
        CONVERSATIONS.labels(self.agent).inc()
        return self.as_proto()

    def as_proto(self) -> events_pb2.CallUsage:
        items = [
            events_pb2.UsageItem(provider=p, unit=u, quantity=q, cost_usd=q * self._price(p, u))
            for (p, u), q in sorted(self.quantities.items())
        ]
        return events_pb2.CallUsage(items=items, tool_calls=self.tool_calls, cost_usd=self.cost_usd,
                                    fallbacks=dict(self.fallbacks))  # fmt: skip

    def as_dict(self) -> dict[str, object]:
        items = [{"provider": p, "unit": u, "quantity": round(q, 3)} for (p, u), q in sorted(self.quantities.items())]
        return {"tool_calls": self.tool_calls, "cost_usd": round(self.cost_usd, 6), "items": items}

    def _price(self, provider: str, unit: str) -> float:
        return unit_price(self._prices if self._prices is not None else _prices(), provider, unit)
