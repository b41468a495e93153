"""Usage and cost per conversation, and the per-agent metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gateway.agent.usage import UsageMeter
from gateway.providers.prices import load_prices, unit_price


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_conversation_is_metered_and_priced_per_provider() -> None:
    before = metric("voicepod_agent_cost_usd_total", agent="test-agent", provider="openai:gpt-4o-mini")
    meter = UsageMeter("test-agent")
    meter.add("openai:gpt-4o-mini", "input_tokens", 1_000_000)
    meter.add("openai:gpt-4o-mini", "output_tokens", 500_000)
    meter.add("deepgram:nova-3", "audio_seconds", 120)
    meter.add("piper-joe", "characters", 900)  # offline: counted, free
    meter.tool_call("search_listings", "ok")
    assert meter.cost_usd == pytest.approx(0.15 + 0.30 + 2 * 0.0077)
    usage = meter.ended()
    assert usage.tool_calls == 1 and usage.cost_usd == pytest.approx(meter.cost_usd)
    items = {(i.provider, i.unit): (i.quantity, i.cost_usd) for i in usage.items}
    assert items[("piper-joe", "characters")] == (900, 0.0)
    assert items[("openai:gpt-4o-mini", "output_tokens")] == pytest.approx((500_000, 0.30))
    after = metric("voicepod_agent_cost_usd_total", agent="test-agent", provider="openai:gpt-4o-mini")
    assert after - before == pytest.approx(0.45)
    assert metric("voicepod_agent_usage_total", agent="test-agent", provider="piper-joe", unit="characters") >= 900
    assert metric("voicepod_agent_conversations_total", agent="test-agent") >= 1


def test_dated_model_ids_use_their_family_price_and_files_override(tmp_path: Path) -> None:
    prices = load_prices({})
    assert unit_price(prices, "openai:gpt-4o-mini-2024-07-18", "input_tokens") == pytest.approx(0.15e-6)
    assert unit_price(prices, "openai:unknown-model", "input_tokens") == 0.0
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"openai:gpt-4o-mini": {"input_tokens": 1e-6}, "local:llama": {"output_tokens": 2e-7}}))
    custom = load_prices({"VOICEPOD_PRICES_FILE": str(path)})
    assert unit_price(custom, "openai:gpt-4o-mini", "input_tokens") == 1e-6
    assert unit_price(custom, "openai:gpt-4o-mini", "output_tokens") == pytest.approx(0.6e-6)
    assert unit_price(custom, "local:llama", "output_tokens") == 2e-7
