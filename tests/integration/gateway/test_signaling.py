"""/ws as a hostile or careless client uses it: every mistake gets its own JSON error."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from caller.ice import gather_on
from gateway import auth
from gateway.app import OPS_AUDIENCE
from gateway.settings import MEDIA_STACKS
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, RunningGateway, gateway, next_signal


async def offer_sdp() -> str:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("events", negotiated=True, id=0)
    await gather_on(pc, CALLER_ICE)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


@asynccontextmanager
async def socket(gw: RunningGateway, *, token: str | None = "mint", **kw: Any) -> AsyncIterator[Any]:
    headers = kw.pop("headers", {})
    if token == "mint":
        token = auth.mint(SECRET, ttl_seconds=60)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http, http.ws_connect(gw.ws_url, headers=headers, **kw) as ws:
        yield ws


async def next_json(ws: Any) -> dict[str, Any]:
    msg = await ws.receive(timeout=10)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    message: dict[str, Any] = json.loads(msg.data)
    return message


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "missing"), ("garbage", "malformed"), (auth.mint(b"other-secret"), "bad_signature"),
     (auth.mint(SECRET, ttl_seconds=-60), "expired"), (auth.mint(SECRET, audience="voicepod-ops"), "wrong_audience"),
     (auth.mint(SECRET, ttl_seconds=25 * 3600), "too_long_lived")],  # past VOICEPOD_MAX_TOKEN_SECONDS (24 h)
)  # fmt: skip
async def test_without_a_valid_token_the_socket_is_refused(nc: NATS, token: str | None, reason: str) -> None:
    async with gateway(nc) as gw, socket(gw, token=token) as ws:
        error = await next_json(ws)
        closed = await ws.receive(timeout=5)
    assert error["code"] == "unauthorized" and reason in error["message"]
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4401


# compare_digest raises TypeError on non-ASCII str: these were a 500 on /calls and a dropped socket (1006) on /ws.
NON_ASCII_TOKENS = ["\u00e9.\u00e9", auth.mint(SECRET)[:-2] + "\u00fc=", "a.b\u2603c"]


@pytest.mark.parametrize("token", NON_ASCII_TOKENS)
async def test_a_non_ascii_token_is_unauthorized_not_a_crash(nc: NATS, token: str) -> None:
    async with gateway(nc) as gw, aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{gw.ws_url}?token={quote(token)}") as ws:
            error = await next_json(ws)
            closed = await ws.receive(timeout=5)
        async with http.get(f"{gw.http_url}/calls?token={quote(token)}") as resp:
            listed = (resp.status, await resp.json())
    assert (error["code"], closed.data) == ("unauthorized", 4401) and "malformed" in error["message"]
    assert listed == (401, {"error": "unauthorized", "reason": "malformed", "message": "malformed"})


async def test_token_lifetime_is_capped_by_the_setting(nc: NATS) -> None:
    async with gateway(nc, max_token_seconds=600) as gw:
        async with socket(gw, token=auth.mint(SECRET, ttl_seconds=3600)) as ws:
            refused = await next_json(ws)
        async with socket(gw, token=auth.mint(SECRET, ttl_seconds=600)) as ws:
            await ws.send_str("{}")
            accepted = await next_json(ws)
        async with aiohttp.ClientSession() as http:
            ops_token = auth.mint(SECRET, ttl_seconds=3600, audience=OPS_AUDIENCE)
            async with http.get(f"{gw.http_url}/calls", headers={"Authorization": f"Bearer {ops_token}"}) as resp:
                listed = (resp.status, (await resp.json())["reason"])
    assert listed == (401, "too_long_lived")
    assert refused["code"] == "unauthorized" and "too_long_lived" in refused["message"]
    assert "VOICEPOD_MAX_TOKEN_SECONDS" in refused["message"]
    assert accepted["code"] == "bad_message"  # past the token check


def refused_for(reason: str) -> float:
    return REGISTRY.get_sample_value("voicepod_gateway_calls_refused_total", {"reason": reason}) or 0.0


async def test_one_token_subject_holds_at_most_the_per_token_calls(nc: NATS) -> None:
    alice = auth.mint(SECRET, subject="alice", ttl_seconds=60)
    bob = auth.mint(SECRET, subject="bob", ttl_seconds=60)
    before = refused_for("too_many_calls")
    async with gateway(nc, max_calls_per_token=2) as gw, socket(gw, token=alice) as first, \
            socket(gw, token=alice) as second, socket(gw, token=alice) as third, \
            socket(gw, token=bob) as other:  # fmt: skip
        replies = []
        for ws in (first, second, third, other):
            await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
            replies.append(await next_json(ws))
        # One of alice's calls ends (the gateway closes its socket once the call is gone): her next
        # offer is answered.
        await first.send_json({"type": "bye"})
        while (closed := await first.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
            pass  # the call's last events (lean stack), then the close
        await third.send_json({"type": "offer", "sdp": await offer_sdp()})
        again = await next_json(third)
    assert [r["type"] for r in replies] == ["answer", "answer", "error", "answer"]
    assert closed.type == aiohttp.WSMsgType.CLOSE
    assert replies[2]["code"] == "too_many_calls" and "2 calls" in replies[2]["message"]
    assert again["type"] == "answer"
    assert refused_for("too_many_calls") == before + 1


@pytest.mark.parametrize("text", ["[" * 60_000, '{"a":' * 12_000], ids=["lists", "objects"])
async def test_deeply_nested_json_is_bad_json_and_the_socket_stays(nc: NATS, text: str) -> None:
    async with gateway(nc) as gw, socket(gw) as ws:
        await ws.send_str(text)
        nested = await next_json(ws)
        await ws.send_str("{}")
        after = await next_json(ws)
    assert nested["code"] == "bad_json" and after["code"] == "bad_message"


@pytest.mark.parametrize("frame", ["binary", "oversized"])
async def test_binary_and_oversized_frames_are_strikes(nc: NATS, frame: str) -> None:
    async with gateway(nc, max_message_bytes=1024) as gw, socket(gw) as ws:
        for _ in range(4):  # the fourth refused frame is one too many
            if frame == "binary":
                await ws.send_bytes(b"\x00" * 16)
            else:
                await ws.send_str(json.dumps({"type": "offer", "sdp": "x" * 2000}))  # under 4x: read, refused
        codes, closed = [], None
        while closed is None:
            msg = await ws.receive(timeout=10)
            if msg.type == aiohttp.WSMsgType.TEXT:
                codes.append(json.loads(msg.data)["code"])
            else:
                closed = msg
    refused = "bad_message" if frame == "binary" else "too_large"
    assert codes == [refused] * 4 + ["rate_limited"]
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4429


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_the_gateway_refuses_to_start_with_a_short_secret(workers: str) -> None:
    env = {**os.environ, "VOICEPOD_AUTH_SECRET": "x" * 31, "VOICEPOD_DEV_MODE": "", "NATS_URL": "nats://127.0.0.1:1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "gateway", "--workers", workers, "--port", "1", "--ops-port", "2",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "VOICEPOD_AUTH_SECRET must be at least 32 bytes (it is 31)" in err.decode()


async def test_token_in_the_query_string_works(nc: NATS) -> None:
    async with gateway(nc) as gw, aiohttp.ClientSession() as http:
        url = f"{gw.ws_url}?token={auth.mint(SECRET)}"
        async with http.ws_connect(url) as ws:
            await ws.send_str("{}")
            assert (await next_json(ws))["code"] == "bad_message"


async def test_foreign_origin_is_refused_and_own_origin_allowed(nc: NATS) -> None:
    async with gateway(nc) as gw:
        async with socket(gw, headers={"Origin": "https://evil.example"}) as ws:
            assert (await next_json(ws))["code"] == "forbidden_origin"
        async with socket(gw, headers={"Origin": gw.http_url}) as ws:
            await ws.send_str("[]")
            assert (await next_json(ws))["code"] == "bad_message"


async def test_each_mistake_gets_its_code_and_the_socket_stays_usable(nc: NATS) -> None:
    async with gateway(nc, max_message_bytes=8 * 1024) as gw, socket(gw) as ws:
        expectations = [
            ("not json", "bad_json"),
            ('{"type": 1}', "bad_message"),
            ('{"type": "dance"}', "bad_message"),
            ('{"type": "offer"}', "bad_message"),
            ('{"type": "offer", "sdp": 42}', "bad_message"),
            ('{"type": "candidate", "candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host"}', "no_call"),
            ('{"type": "typed", "text": "5125550134"}', "no_call"),
            (json.dumps({"type": "offer", "sdp": "x" * 9000}), "too_large"),
            (json.dumps({"type": "offer", "sdp": "v=0\r\nthis is not sdp\r\n"}), "bad_sdp"),
        ]
        for text, code in expectations:
            await ws.send_str(text)
            reply = await next_json(ws)
            assert (reply["type"], reply["code"]) == ("error", code), text
            assert reply["message"]
        await ws.send_bytes(b"\x00\x01")
        assert (await next_json(ws))["code"] == "bad_message"
        # After all that, a real offer still gets an answer, and a second one is refused.
        await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
        answer = await next_json(ws)
        await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
        again = await next_json(ws)
        await ws.send_json({"type": "candidate", "candidate": "candidate:nonsense", "sdpMid": "0"})
        bad_candidate = await next_json(ws)
        typed = []
        not_typed: tuple[object, ...] = ("", "   ", 42, "x" * 201)
        for wrong in not_typed:
            await ws.send_json({"type": "typed", "text": wrong})
            typed.append((await next_json(ws))["code"])
    assert answer["type"] == "answer" and "m=audio" in answer["sdp"] and answer["call_id"]
    assert again["code"] == "call_exists" and bad_candidate["code"] == "bad_candidate"
    assert typed == ["bad_message"] * 4


async def test_over_capacity_offers_get_busy(nc: NATS) -> None:
    async with gateway(nc, max_calls=1) as gw, socket(gw) as first, socket(gw) as second:
        await first.send_json({"type": "offer", "sdp": await offer_sdp()})
        assert (await next_json(first))["type"] == "answer"
        await second.send_json({"type": "offer", "sdp": await offer_sdp()})
        busy = await next_json(second)
        await first.send_json({"type": "bye"})
        await gw.state.calls.wait_empty(5)
        await second.send_json({"type": "offer", "sdp": await offer_sdp()})
        after = await next_json(second)
    assert busy["code"] == "busy" and after["type"] == "answer"


async def test_draining_gateway_refuses_new_calls(nc: NATS) -> None:
    async with gateway(nc) as gw, socket(gw) as ws:
        gw.state.draining = True
        await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
        assert (await next_json(ws))["code"] == "draining"


async def test_a_message_flood_is_rate_limited_then_closed(nc: NATS) -> None:
    async with gateway(nc, messages_per_second=5) as gw, socket(gw) as ws:
        for _ in range(60):
            await ws.send_str("{}")
        codes, closed = [], None
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.TEXT:
                closed = msg
                break
            codes.append(json.loads(msg.data)["code"])
    assert "rate_limited" in codes and codes[0] == "bad_message"
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4429


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_the_gateway_ends_a_call_with_bye_on_its_socket(nc: NATS, stack: str) -> None:
    async with gateway(nc, media_stack=stack) as gw, socket(gw) as ws:
        await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
        assert (await next_json(ws))["type"] == "answer"
        await gw.state.calls.end_all("drain")
        events, bye = await next_signal(ws)
    assert bye == {"type": "bye", "reason": "drain"}
    # The lean stack's events travel on the socket: the call's last one comes before the bye. (On
    # aiortc's data channel, which this never-connected call did not open, nothing is sent.)
    expected = [("call.ended", "drain")] if stack == "lean" else []
    assert [(e["type"], e.get("reason")) for e in events if e["type"] != "stats"] == expected


async def test_a_caller_that_never_connects_is_hung_up_on_after_the_connect_timeout(nc: NATS) -> None:
    # The offer is real, but its peer never sees our answer: no ICE check ever arrives.
    async with gateway(nc, media_stack="lean", connect_timeout=1.0) as gw, socket(gw) as ws:
        await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
        assert (await next_json(ws))["type"] == "answer"
        started = asyncio.get_running_loop().time()
        events, bye = await next_signal(ws)
        waited = asyncio.get_running_loop().time() - started
        assert not gw.state.calls.all()
    assert bye == {"type": "bye", "reason": "ice_failed"} and 0.9 < waited < 5
    assert [(e["type"], e.get("reason")) for e in events if e["type"] != "stats"] == [("call.ended", "ice_failed")]


async def test_a_caller_closing_its_connection_but_not_the_socket_ends_the_call(nc: NATS) -> None:
    async with gateway(nc, media_stack="lean") as gw, socket(gw) as ws:
        pc = RTCPeerConnection()
        pc.addTrack(AudioStreamTrack())
        await gather_on(pc, CALLER_ICE)
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await next_json(ws)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        async with asyncio.timeout(10):  # connected: the call has started
            while (await next_json(ws)).get("event", {}).get("type") != "call.started":
                pass
        await pc.close()  # DTLS close_notify; the socket stays open
        rest, bye = await next_signal(ws, timeout=5)
    assert bye == {"type": "bye", "reason": "media_closed"}
    assert ("call.ended", "media_closed") in [(e["type"], e.get("reason")) for e in rest]


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_candidate_null_ends_the_candidates_and_says_when_none_was_usable(nc: NATS, stack: str) -> None:
    # Trickle ICE: an offer without candidates, then only a refused one (link-local), then the end.
    offer = "".join(ln + "\r\n" for ln in (await offer_sdp()).splitlines()
                    if not ln.startswith(("a=candidate:", "a=end-of-candidates")))  # fmt: skip
    link_local = "candidate:1 1 udp 2130706431 169.254.7.7 5000 typ host"
    before = {r: refused(r) for r in ("link_local", "after_end", "over_limit")}
    async with gateway(nc, media_stack=stack) as gw, socket(gw) as ws:
        await ws.send_json({"type": "offer", "sdp": offer})
        assert (await next_signal(ws))[1]["type"] == "answer"
        await ws.send_json({"type": "candidate", "candidate": link_local, "sdpMid": "0", "sdpMLineIndex": 0})
        await ws.send_json({"type": "candidate", "candidate": None})
        _, no_usable = await next_signal(ws)
        # After the end a candidate is ignored, silently: the next error is the one for the junk after it.
        await ws.send_json({"type": "candidate", "candidate": "candidate:1 1 udp 1 203.0.113.9 5000 typ host",
                            "sdpMid": "0", "sdpMLineIndex": 0})  # fmt: skip
        await ws.send_json({"type": "nonsense"})
        _, junk = await next_signal(ws)
    assert no_usable["code"] == "bad_candidate"
    assert "no usable ICE candidate: 1 refused (link_local 1)" in no_usable["message"]
    assert junk["code"] == "bad_message"
    # Counted in Prometheus by reason (no call id).
    assert {r: refused(r) - n for r, n in before.items()} == {"link_local": 1.0, "after_end": 1.0, "over_limit": 0.0}


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("voicepod_gateway_ice_candidates_refused_total", {"reason": reason}) or 0.0
