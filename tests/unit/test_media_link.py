"""Choosing and configuring what carries a call's media (gateway/link)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.call_events import SocketEvents
from gateway.link.lean_link import stun_server
from gateway.settings import GatewaySettings


def test_the_media_stack_comes_from_the_environment_and_a_typo_is_refused() -> None:
    assert GatewaySettings.from_env({}).media_stack == GatewaySettings.media_stack
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": " AIORTC "}).media_stack == "aiortc"
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": "lean"}).media_stack == "lean"
    with pytest.raises(ValueError, match="VOICEPOD_MEDIA_STACK must be one of lean, aiortc, not 'pion'"):
        GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": "pion"})


def test_turn_relays_need_the_aiortc_stack() -> None:
    turn = {"VOICEPOD_ICE_SERVERS": "stun:stun.example,turn:turn.example:3478?transport=udp"}
    assert GatewaySettings.from_env({**turn, "VOICEPOD_MEDIA_STACK": "aiortc"}).ice_servers[1].startswith("turn:")
    with pytest.raises(ValueError, match=r"TURN relays .* need VOICEPOD_MEDIA_STACK=aiortc"):
        GatewaySettings.from_env({**turn, "VOICEPOD_MEDIA_STACK": "lean"})


def test_the_lean_stack_takes_the_first_stun_server() -> None:
    assert stun_server(()) is None
    assert stun_server(("turn:relay.example:3478",)) is None
    assert stun_server(("turn:relay.example", "stun:stun.example:19302", "stun:other")) == ("stun.example", 19302)
    assert stun_server(("stun:stun.example",)) == ("stun.example", 3478)


def test_socket_events_wait_for_the_answer_then_go_out_in_order() -> None:
    posted: list[dict[str, Any]] = []
    events = SocketEvents(posted.append)
    events.send("call.ended", reason="bad_sdp")  # a refused offer: there is no call to follow
    assert posted == [] and events.sent == 0
    events.opened = True
    events.send("call.started", call_id="c1")
    events.send("agent.text", text="Hello", turn=0)
    assert [m["type"] for m in posted] == ["event", "event"]
    assert [(m["event"]["type"], m["event"].get("text")) for m in posted] == [
        ("call.started", None),
        ("agent.text", "Hello"),
    ]
    assert all(isinstance(m["event"]["at"], float) for m in posted) and events.sent == 2
