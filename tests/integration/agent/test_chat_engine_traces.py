"""The LLM engines' spans in OpenTelemetry's GenAI conventions: a `chat` span per round (a chat
completion, or a Realtime response) with the model, provider, tokens and finish reason, an
`execute_tool` span per tool call, and the real mls_lookup service's handler span under it over a
real nats-server; a model that fails is a failed chat span."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from bus import subjects, tracing
from tests.fakes import openai_realtime_server as realtime
from tests.fakes.openai_server import Failure, Reply, serving
from tests.integration.agent import scripted_model
from tests.integration.agent.test_chat_engine import MODELS, engine, say
from tests.integration.agent.test_dialog import services
from tests.integration.agent.test_realtime_engine import Rig
from tests.spans import is_child, named, spans

__all__ = ["spans"]  # the fixture
HANDLER = f"process {subjects.SEARCH_LISTINGS.subject}"
SEARCH = {"city": "Austin", "min_bedrooms": 3, "max_price_usd": 700_000, "limit": 3}


@pytest.fixture(autouse=True)
async def close_models() -> AsyncIterator[None]:
    yield
    while MODELS:
        await MODELS.pop().close()


async def test_a_model_round_and_its_tool_call_are_genai_spans_down_to_the_service(
    nc: NATS, spans: InMemorySpanExporter
) -> None:
    async with services(nc, "mls_lookup"), serving(scripted_model.real_estate) as fake:
        e = engine(nc, fake)
        with tracing.span("engine"):
            found = await say(e, "A three bedroom house in Austin under seven hundred thousand")
    assert found[0].startswith("I found")
    finished = spans.get_finished_spans()
    parent = named(finished, "engine")
    rounds = [s for s in finished if s.name == "chat gpt-4o-mini"]
    assert len(rounds) == 2 and all(is_child(r, parent) and r.kind is SpanKind.CLIENT for r in rounds)
    first, second = sorted(rounds, key=lambda s: s.start_time or 0)
    assert first.attributes is not None and second.attributes is not None
    assert dict(first.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "gen_ai.usage.input_tokens": 50,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.response.finish_reasons": ("tool_calls",),
    }
    assert second.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    tool = named(finished, "execute_tool search_listings")
    assert is_child(tool, parent) and is_child(named(finished, HANDLER), tool)
    assert first.end_time is not None and tool.start_time is not None and first.end_time <= tool.start_time


async def test_a_model_that_fails_is_a_failed_chat_span(nc: NATS, spans: InMemorySpanExporter) -> None:
    def broken(_: Mapping[str, Any]) -> Failure | Reply:
        return Failure(status=400, message="bad request")

    async with serving(broken) as fake:  # no service: the model fails before any tool call
        await say(engine(nc, fake), "A house in Austin")
    (chat,) = [s for s in spans.get_finished_spans() if s.name == "chat gpt-4o-mini"]
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.attributes is not None and chat.attributes["error.type"] == "ModelError"


async def test_a_realtime_response_and_its_function_call_are_genai_spans_down_to_the_service(
    nc: NATS, spans: InMemorySpanExporter
) -> None:
    def follow_up(fake: realtime.FakeRealtime) -> realtime.Text:
        return realtime.Text("I found some homes.")

    script: list[realtime.Step] = [realtime.Call("search_listings", json.dumps(SEARCH)), follow_up]
    async with services(nc, "mls_lookup"), realtime.serving(script) as fake:
        rig = Rig(nc, fake)
        with tracing.span("engine"):
            await rig.say("A three bedroom house in Austin under seven hundred thousand")
        await rig.engine.close()
    finished = spans.get_finished_spans()
    parent = named(finished, "engine")
    rounds = sorted((s for s in finished if s.name.startswith("chat ")), key=lambda s: s.start_time or 0)
    assert len(rounds) == 2 and all(is_child(r, parent) for r in rounds)
    assert [r.attributes and r.attributes["gen_ai.response.finish_reasons"] for r in rounds] == [
        ("tool_calls",), ("stop",)
    ]  # fmt: skip
    assert rounds[0].attributes and rounds[0].attributes["gen_ai.provider.name"] == "openai"
    assert int(str(rounds[0].attributes["gen_ai.usage.input_tokens"])) > 0
    tool = named(finished, "execute_tool search_listings")
    assert is_child(tool, parent) and is_child(named(finished, HANDLER), tool)
