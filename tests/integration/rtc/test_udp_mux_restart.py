"""The UDP mux across a call's ICE restart (gateway/rtc/udp_mux.py): the call's new transport
(new ufrag, same owner) takes over an address its old one held once it talks to it; another call
cannot. Real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

from aioice import stun
from aioice.utils import random_transaction_id

from gateway.rtc.udp_mux import MuxedTransport, UdpMux


class Heard(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: list[bytes] = []
        self.arrived = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.got.append(data)
        self.arrived.set()


def _check(ufrag: str) -> bytes:
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, random_transaction_id())
    request.attributes["USERNAME"] = f"them:{ufrag}"
    return bytes(request)


async def _media_from(caller: asyncio.DatagramTransport, port: int, heard: Heard) -> bytes:
    payload = b"\x80\x6f" + bytes(20)  # RTP-looking: routed by the caller's address
    heard.arrived.clear()
    caller.sendto(payload, ("127.0.0.1", port))
    await asyncio.wait_for(heard.arrived.wait(), 2)
    return heard.got[-1]


async def test_a_restarted_calls_new_transport_takes_its_callers_address_and_a_stranger_cannot() -> None:
    mux = await UdpMux.open(["127.0.0.1"], 0)
    loop = asyncio.get_running_loop()
    caller, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    try:
        socket, owner = mux.sockets[0], object()
        old_heard, new_heard, other_heard = Heard(), Heard(), Heard()
        old: MuxedTransport = socket.attach("old1", old_heard, owner)
        address = caller.get_extra_info("sockname")
        old.sendto(_check("old1"), address)  # the old ICE checked the caller: its address is the call's
        assert await _media_from(caller, mux.port, old_heard)
        other = socket.attach("oth1", other_heard, object())  # another call
        other.sendto(_check("oth1"), address)  # cannot take it: first come keeps it
        assert await _media_from(caller, mux.port, old_heard) and other_heard.got == []
        new = socket.attach("new1", new_heard, owner)  # the same call after an ICE restart
        assert socket.calls == 3
        new.sendto(_check("new1"), address)
        assert await _media_from(caller, mux.port, new_heard)
        old.close()  # the restart connected: the old transport goes, the address stays with the new one
        await asyncio.sleep(0)
        assert await _media_from(caller, mux.port, new_heard)
        assert not mux.has_ufrag("old1") and mux.has_ufrag("new1") and socket.addresses == 1
        new.close()
        other.close()
        await asyncio.sleep(0)
        assert socket.calls == 0 and socket.addresses == 0
    finally:
        caller.close()
        mux.close()
