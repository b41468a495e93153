"""ICE restart on our endpoint (gateway/rtc/endpoint.py): a caller re-offers from new sockets with
new ICE credentials mid-call; the media moves to the new path, the DTLS association (and so SRTP)
stays. Everything on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed
from gateway.rtc.ice_guard import GuardedConnection
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.sdp import SdpError, parse_description
from gateway.rtc.udp_mux import MuxedTransport, UdpMux

pytestmark = pytest.mark.timeout(60)


@asynccontextmanager
async def _call(mux: UdpMux | None) -> AsyncIterator[tuple[AudioEndpoint, AudioEndpoint]]:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK, mux=mux)
    try:
        await caller.accept(await gateway.answer(await caller.offer()))
        await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 10)
        yield caller, gateway
    finally:
        await caller.close()
        await gateway.close()


async def _both_ways(caller: AudioEndpoint, gateway: AudioEndpoint, tag: bytes) -> None:
    """Ten packets each way arrive, in order (gaps from the switch are None and skipped)."""
    sent = [tag + bytes([i]) * 40 for i in range(10)]
    for payload in sent:
        await caller.send(payload)
        await asyncio.sleep(0.02)
    heard: list[bytes] = []
    async with asyncio.timeout(5):
        while len(heard) < len(sent):
            packet = await gateway.recv()
            if packet is not None and packet.payload.startswith(tag):
                heard.append(packet.payload)
    assert heard == sent
    for payload in sent:
        await gateway.send(payload)
    back: list[bytes] = []
    async with asyncio.timeout(5):
        while len(back) < len(sent):
            packet = await caller.recv()
            if packet is not None and packet.payload.startswith(tag):
                back.append(packet.payload)
    assert back == sent


async def _restart(caller: AudioEndpoint, gateway: AudioEndpoint) -> tuple[str, str]:
    offer = await caller.restart_offer()
    answer = await gateway.restart(offer)
    await caller.accept_restart(answer)
    async with asyncio.timeout(10):
        while caller.restarts < 1 or gateway.restarts < 1:
            await asyncio.sleep(0.02)  # the switch has no event to await from outside
    return offer, answer


@pytest.mark.parametrize("shared_port", [False, True], ids=["socket_per_call", "udp_mux"])
async def test_a_caller_restarting_ice_from_a_new_socket_keeps_its_media_both_ways(shared_port: bool) -> None:
    mux = await UdpMux.open(["127.0.0.1"], 0) if shared_port else None
    try:
        async with _call(mux) as (caller, gateway):
            await _both_ways(caller, gateway, b"A")
            before = parse_description((await caller.offer()), data=False)
            old_ufrag = gateway._ice.local_username
            offer, answer = await _restart(caller, gateway)
            new_offer, new_answer = parse_description(offer, data=False), parse_description(answer, data=False)
            # New credentials both ways, a new socket on the caller's side, the same certificate.
            assert new_offer.ice_ufrag != before.ice_ufrag and new_answer.ice_ufrag != old_ufrag
            assert {c.split()[5] for c in new_offer.candidates}.isdisjoint(c.split()[5] for c in before.candidates)
            assert new_answer.fingerprint == gateway._cert.fingerprint
            await _both_ways(caller, gateway, b"B")
            if mux is not None:  # the mux routes the new ufrag and has let go of the old one
                assert mux.has_ufrag(gateway._ice.local_username) and not mux.has_ufrag(old_ufrag)
                assert mux.sockets[0].calls == 1
            assert caller.restarts_failed == gateway.restarts_failed == 0
        if mux is not None:
            assert mux.sockets[0].calls == 0 and mux.sockets[0].addresses == 0
    finally:
        if mux is not None:
            mux.close()


async def test_a_restart_whose_caller_has_died_meanwhile_still_carries_the_media() -> None:
    """The old path is gone (the caller's old sockets closed) before the restart connects."""
    async with _call(None) as (caller, gateway):
        offer = await caller.restart_offer()
        await caller._ice.close()  # the Wi-Fi is gone: nothing more leaves or arrives by the old sockets
        answer = await gateway.restart(offer)
        await caller.accept_restart(answer)
        async with asyncio.timeout(10):
            while gateway.restarts < 1:
                await asyncio.sleep(0.02)
        await _both_ways(caller, gateway, b"C")


async def test_a_re_offer_that_is_no_restart_is_refused_and_the_call_goes_on() -> None:
    async with _call(None) as (caller, gateway):
        same = await caller.offer()  # the first offer again: the same ICE credentials
        with pytest.raises(SdpError, match="keeps its ICE credentials"):
            await gateway.restart(same)
        stranger = AudioEndpoint(offering=True, ice=LOOPBACK)
        try:
            with pytest.raises(SdpError, match="another DTLS certificate"):
                await gateway.restart(await stranger.offer())
        finally:
            await stranger.close()
        await _both_ways(caller, gateway, b"D")


async def test_a_restart_before_the_call_connected_is_refused() -> None:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)
    try:
        offer = await caller.offer()
        await gateway.answer(offer)
        with pytest.raises(SdpError, match="needs a connected call"):
            await gateway.restart(offer)
    finally:
        await caller.close()
        await gateway.close()
        with pytest.raises(EndpointClosed):
            await gateway.recv()


async def test_a_restarted_call_is_freed_without_the_garbage_collector() -> None:
    """No reference cycle through the restart (DTLS's route out, the switch task, the mux's owner)."""
    kept = (AudioEndpoint, GuardedConnection, MuxedTransport)
    gc.collect()
    gc.disable()
    try:
        mux = await UdpMux.open(["127.0.0.1"], 0)
        try:
            async with _call(mux) as (caller, gateway):
                await _restart(caller, gateway)
                await _both_ways(caller, gateway, b"E")
            del caller, gateway
            await asyncio.sleep(0)  # the closed transports' connection_lost, one loop turn later
            await asyncio.sleep(0)
            left = [type(o).__name__ for o in gc.get_objects() if isinstance(o, kept)]
        finally:
            mux.close()
    finally:
        gc.enable()
    assert left == []
