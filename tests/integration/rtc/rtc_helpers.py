"""What the endpoint and media-port tests share: a UDP mux on 127.0.0.1, and one packet through a call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.udp_mux import UdpMux


@asynccontextmanager
async def loopback_mux() -> AsyncIterator[UdpMux]:
    """One shared media port on 127.0.0.1 (a free one), closed on leaving."""
    mux = await UdpMux.open(["127.0.0.1"], 0)
    try:
        yield mux
    finally:
        mux.close()


async def one_packet_through(caller: AudioEndpoint, gateway: AudioEndpoint, answer: str) -> None:
    """The caller takes `answer`, both sides connect, and a packet the caller sends reaches the gateway."""
    await caller.accept(answer)
    await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 15)
    await caller.send(b"over the NAT")
    packet = await asyncio.wait_for(gateway.recv(), 5)
    assert packet is not None and packet.payload == b"over the NAT"
