"""Shadow mode's tool runner (gateway/shadow/tools.py): a recommendation's tools may read, never write."""

from __future__ import annotations

from typing import Any, cast

import pytest
from google.protobuf.message import Message

from bus.client import BusClient
from bus.endpoint import Endpoint
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import load_vertical
from gateway.shadow.tools import ShadowTools, WouldWrite

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
