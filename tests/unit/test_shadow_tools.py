"""Shadow mode's tool runner (gateway/shadow/tools.py): a recommendation's tools may read, never write."""

from __future__ import annotations

from typing import Any, cast

import pytest
from google.protobuf.message import Message

from bus.client import BusClient
from bus.endpoint import Endpoint
from gateway.agent.tools import ToolBox, ToolError
from gateway.agent.vertical import load_vertical
from gateway.shadow.tools import NOT_RUN, ShadowChatTools, ShadowTools, WouldWrite

WRITES = ("book_showing", "write_lead", "send_sms")


class RecordingBus:
    """Stands in for the bus: records each request sent, answers an empty reply."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def call(self, endpoint: Endpoint[Any, Any], request: Message, **_: Any) -> Message:
        self.sent.append(endpoint.name)
        reply: Message = endpoint.reply()
        return reply


def shadow_tools() -> tuple[ShadowTools, RecordingBus]:
    bus = RecordingBus()
    real = ToolBox(list(load_vertical("real_estate").tools), cast(BusClient, bus))
    return ShadowTools(real), bus


def test_the_runner_holds_only_the_tools_that_read() -> None:
    tools, _ = shadow_tools()
    assert set(tools.tools) == {"search_listings", "get_listing", "check_availability"}
    assert not set(WRITES) & set(tools.tools)  # nothing that writes is in it to run


@pytest.mark.parametrize("name", WRITES)
async def test_a_write_is_noted_and_refused_and_never_sent(name: str) -> None:
    tools, bus = shadow_tools()
    args = {"idempotency_key": "k", "phone": "+15125550134", "listing_id": "L1"}
    with pytest.raises(WouldWrite) as refused:
        await tools.call(name, args, call_id="c1")
    assert refused.value.intent.tool == name and refused.value.intent.writes
    assert [i.tool for i in tools.refused] == [name] and tools.refused[0].args == args
    assert bus.sent == []  # not a single request went out


async def test_a_read_runs_and_its_answer_is_kept_for_the_desk() -> None:
    tools, bus = shadow_tools()
    await tools.call("search_listings", {"city": "Denver", "limit": 3}, call_id="c1")
    assert bus.sent == ["search_listings"]
    (ran,) = tools.ran
    assert (ran.tool, ran.writes, ran.args["city"]) == ("search_listings", False, "Denver")
    assert ran.result is not None and tools.refused == []


async def test_an_unknown_tool_is_refused_like_a_write() -> None:
    tools, bus = shadow_tools()
    with pytest.raises(WouldWrite):
        await tools.call("delete_everything", {}, call_id="c1")
    assert bus.sent == []


def chat_tools() -> tuple[ShadowChatTools, ShadowTools, RecordingBus]:
    shadow, bus = shadow_tools()
    real = ToolBox(list(load_vertical("real_estate").tools), cast(BusClient, bus))
    return ShadowChatTools(shadow, real), shadow, bus


@pytest.mark.parametrize("name", WRITES)
async def test_an_llms_write_is_noted_answered_not_run_and_never_sent(name: str) -> None:
    tools, shadow, bus = chat_tools()
    assert name in tools.tools  # offered to the model, so that it can recommend it
    args = {"idempotency_key": "k", "listing_id": "L1", "time_zone": "America/Chicago",
            "start_time": "2026-12-08T15:00:00+00:00", "phone": "+15125550134", "to_phone": "+15125550134",
            "template_id": "showing_confirmation"}  # fmt: skip
    schema = tools.tools[name].schema["properties"]
    result = await tools.call(name, {k: v for k, v in args.items() if k in schema}, call_id="c1")
    assert result.data == NOT_RUN and bus.sent == []  # answered, and not a single request went out
    assert [(i.tool, i.writes) for i in shadow.refused] == [(name, True)] and shadow.intents == shadow.refused
    with pytest.raises(ToolError):
        await tools._send(tools.tools[name], args, "c1")  # its own sending is closed too


async def test_an_llms_read_runs_and_its_bad_arguments_are_corrected_as_live() -> None:
    tools, shadow, bus = chat_tools()
    await tools.call("search_listings", {"city": "Denver", "limit": 3}, call_id="c1")
    assert bus.sent == ["search_listings"] and [i.tool for i in shadow.ran] == ["search_listings"]
    with pytest.raises(ToolError) as bad:
        await tools.call("book_showing", {"listing_id": 7}, call_id="c1")
    assert bad.value.kind == "invalid_arguments" and shadow.refused == [] and bus.sent == ["search_listings"]
