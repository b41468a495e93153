"""A call through coturn on loopback, end to end: the gateway on the default (lean) stack with
VOICEPOD_ICE_SERVERS=turn:..., VOICEPOD_TURN_SECRET and relay only; `voicepod call --relay-only`'s
dialer takes its TURN server and credential from GET /ice-servers, the same the page takes."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from nats.aio.client import Client as NATS

from caller.client import dial
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.ice_servers import TurnCredentials, rest_password
from gateway.settings import MEDIA_STACKS
from tests.coturn import Coturn, coturn
from tests.integration.gateway_helpers import SECRET, gateway

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[Coturn]:
    with coturn(tmp_path) as server:
        yield server


def _turn_settings(server: Coturn) -> dict[str, object]:
    return {"ice_servers": (server.url,), "turn_credentials": TurnCredentials(secret=server.secret, ttl_seconds=600)}


async def test_the_ice_servers_route_mints_a_credential_for_the_tokens_subject(nc: NATS, turn_server: Coturn) -> None:
    async with gateway(nc, **_turn_settings(turn_server)) as gw, aiohttp.ClientSession() as http:
        url = gw.ws_url.replace("ws://", "http://").replace("/ws", "/ice-servers")
        async with http.get(url) as refused:
            assert refused.status == 401  # a TURN credential is for callers the gateway would take
        token = auth.mint(SECRET, subject="alice", ttl_seconds=60)
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as reply:
            assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
            (server,) = (await reply.json())["iceServers"]
    expiry, _, who = server["username"].partition(":")
    assert server["urls"] == [turn_server.url] and who == "alice"
    assert 0 < int(expiry) - time.time() <= 600
    assert server["credential"] == rest_password(turn_server.secret, server["username"])


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_a_relay_only_caller_reaches_a_relay_only_gateway_through_coturn(
    stack: str, nc: NATS, turn_server: Coturn
) -> None:
    relay_only = dataclasses.replace(LOOPBACK, relay_only=True)
    async with gateway(nc, ice=relay_only, media_stack=stack, **_turn_settings(turn_server)) as gw:
        token = auth.mint(SECRET, ttl_seconds=60)
        async with dial(gw.ws_url, ScriptedMicrophone(), token=token, relay_only=True, timeout=15) as call:
            assert call.result.connected_after is not None
            offered = [line for line in call.result.offer.splitlines() if line.startswith("a=candidate:")]
            answered = [line for line in call.result.answer.splitlines() if line.startswith("a=candidate:")]
            assert offered and all(" typ relay" in line for line in offered)
            assert answered and all(" typ relay" in line for line in answered)  # the gateway's address stays private
            if stack == "lean":
                (live,) = gw.state.calls.all()
                pair = live.link._endpoint._ice._nominated[1]  # type: ignore[attr-defined]
                assert (pair.local_candidate.type, pair.remote_candidate.type) == ("relay", "relay")
