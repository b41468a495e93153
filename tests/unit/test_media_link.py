"""Choosing and configuring what carries a call's media (gateway/link)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.call_event_types import AgentText, CallEnded, CallStarted
from gateway.call_events import SocketEvents
from gateway.rtc.ice_servers import IceServers, TurnCredentials, TurnUrl
from gateway.settings import GatewaySettings


def test_the_media_stack_comes_from_the_environment_and_a_typo_is_refused() -> None:
    assert GatewaySettings.from_env({}).media_stack == GatewaySettings.media_stack
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": " AIORTC "}).media_stack == "aiortc"
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": "lean"}).media_stack == "lean"
    with pytest.raises(ValueError, match="VOICEPOD_MEDIA_STACK must be one of lean, aiortc, not 'pion'"):
        GatewaySettings.from_env({"VOICEPOD_MEDIA_STACK": "pion"})


def test_turn_servers_work_on_both_stacks_and_need_credentials() -> None:
    turn = {"VOICEPOD_ICE_SERVERS": "stun:stun.example,turn:turn.example:3478?transport=udp"}
    secret = {**turn, "VOICEPOD_TURN_SECRET": "s3cret"}
    for stack in ("lean", "aiortc"):
        settings = GatewaySettings.from_env({**secret, "VOICEPOD_MEDIA_STACK": stack})
        assert settings.servers().turn() == TurnUrl("turn.example", 3478, "udp", secure=False)
    with pytest.raises(ValueError, match="TURN server in VOICEPOD_ICE_SERVERS needs credentials"):
        GatewaySettings.from_env(turn)
    with pytest.raises(ValueError, match="VOICEPOD_ICE_RELAY_ONLY needs a TURN server"):
        GatewaySettings.from_env({"VOICEPOD_ICE_RELAY_ONLY": "1"})
    assert GatewaySettings.from_env({**secret, "VOICEPOD_ICE_RELAY_ONLY": "1"}).ice.relay_only


def test_the_lean_stack_takes_the_first_stun_server() -> None:
    assert IceServers().stun() is None
    assert IceServers(("turn:relay.example:3478",), TurnCredentials("u", "p")).stun() is None
    servers = IceServers(("turn:relay.example", "stun:stun.example:19302", "stun:other"), TurnCredentials("u", "p"))
    assert servers.stun() == ("stun.example", 19302)
    assert IceServers(("stun:stun.example",)).stun() == ("stun.example", 3478)


def test_socket_events_wait_for_the_answer_then_go_out_in_order() -> None:
    posted: list[dict[str, Any]] = []
    events = SocketEvents(posted.append)
    events.send(CallEnded(reason="bad_sdp"))  # a refused offer: there is no call to follow
    assert posted == [] and events.sent == 0
    events.opened = True
    events.send(CallStarted(call_id="c1"))
    events.send(AgentText(text="Hello", turn=0))
    assert [m["type"] for m in posted] == ["event", "event"]
    assert [(m["event"]["type"], m["event"].get("text")) for m in posted] == [
        ("call.started", None),
        ("agent.text", "Hello"),
    ]
    assert all(isinstance(m["event"]["at"], float) for m in posted) and events.sent == 2
