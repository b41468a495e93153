"""A call carried by our own endpoint (gateway/rtc): no aiortc media stack.

The caller's Opus packets are decoded inline (gateway/media/opus_in.py) into the 16 kHz
frames the VAD and STT take; the call's playout packets go out as they are made. No thread,
no per-frame pure-Python audio work. A caller that offers a data channel gets one (aiortc's
SCTP over our DTLS, gateway/link/lean_sctp.py) and the events on it; the others get the
events on the signalling socket (gateway/link/lean_events.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import structlog

from gateway.call_events import SocketEvents
from gateway.link.base import PacketTap, StateChanged
from gateway.link.lean_events import LeanEvents
from gateway.link.lean_sctp import LeanDataChannel
from gateway.media.opus_in import OpusIn
from gateway.media.outbound import PlayoutStopped, PlayoutTrack
from gateway.media.pcm import IN_FRAME, Pcm
from gateway.rtc.endpoint import OPUS_CLOCK_PER_FRAME, AudioEndpoint, EndpointClosed
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.ice_servers import IceServers
from gateway.rtc.sdp import SdpError
from gateway.rtc.turn_relay import TurnAllocation
from gateway.rtc.udp_mux import UdpMux
from gateway.stats import MediaSummary

log = structlog.get_logger("gateway.link")


def turn_allocation(servers: IceServers, now: float) -> TurnAllocation | None:
    """The relay this call allocates: the first TURN server, with a credential minted now (or the static one)."""
    server = servers.turn()
    if server is None:
        return None
    username, password = servers.turn_credentials.issue(now, "gateway")
    return TurnAllocation(server, username, password)


async def _ignore_state(_state: str) -> None:
    pass


class LeanLink:
    def __init__(
        self,
        ice_servers: IceServers,
        connect_timeout: float,
        playout: PlayoutTrack,
        events: SocketEvents,
        on_ice_state: StateChanged,
        on_connection_state: StateChanged,
        ice_options: IceOptions | None = None,
        on_candidate_refused: Callable[[str], None] | None = None,
        udp_mux: UdpMux | None = None,
        inactivity_timeout: float = 0.0,
    ) -> None:
        self.events = LeanEvents(events)
        self.data = LeanDataChannel(self.events)
        turn = turn_allocation(ice_servers, time.time())  # a relay candidate too, when a TURN server is set
        self._endpoint = AudioEndpoint(stun_server=ice_servers.stun(), ice=ice_options,
                                       on_candidate_refused=on_candidate_refused, mux=udp_mux,
                                       on_data=self.data.on_data, turn=turn)  # fmt: skip
        self._playout = playout
        self._connect_timeout = connect_timeout
        self._inactivity_timeout = inactivity_timeout  # 0: only ICE consent notices a vanished caller
        self._on_ice_state, self._on_connection_state = on_ice_state, on_connection_state
        self._connected = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self.opus_in = OpusIn()
        self.passes_opus = True

    async def answer(self, offer_sdp: str) -> str:
        try:
            answer = await self._endpoint.answer(offer_sdp)
        except SdpError as e:
            raise ValueError(str(e)) from None
        self.events.socket.opened = True
        terms = self._endpoint.data_channel
        if terms is not None:
            self.data.accepted(self._endpoint, terms)
        self._spawn(self._connect())
        return answer

    async def restart(self, offer_sdp: str) -> str:
        try:
            return await self._endpoint.restart(offer_sdp, self._connect_timeout)
        except SdpError as e:
            raise ValueError(str(e)) from None

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        if candidate is None or self._endpoint.carries(sdp_mid, sdp_mline_index):
            try:
                await self._endpoint.add_candidate(candidate)
            except SdpError as e:
                raise ValueError(str(e)) from None

    async def _connect(self) -> None:
        await self._on_ice_state("checking")
        try:
            await self._endpoint.start(self._connect_timeout)
        except ConnectionError as e:
            log.info("link_failed", reason=str(e))
            if self._endpoint.ice_connected:  # DTLS failed: a wrong fingerprint, or no handshake
                await self._on_ice_state("connected")
                await self._on_connection_state("failed")
            else:
                await self._on_ice_state("failed")
            return
        await self._on_ice_state("connected")
        self._spawn(self._play())
        self._spawn(self.data.start())
        if self._inactivity_timeout > 0:
            self._spawn(self._watch_media(self._inactivity_timeout))
        self._connected.set()
        await self._on_connection_state("connected")

    async def _play(self) -> None:
        try:
            while True:
                packet = await self._playout.recv()
                await self._endpoint.send(bytes(packet), samples=packet.duration or OPUS_CLOCK_PER_FRAME)
        except (PlayoutStopped, ConnectionError):
            pass  # the call stopped its playout, or the connection is gone

    async def _watch_media(self, window: float) -> None:
        """End the call when the caller has sent nothing for `window` seconds: it vanished (a lost
        network, a frozen tab) long before ICE consent (~30 s) would say so. An ICE restart resets the
        clock, so a caller changing networks gets the whole window to connect its new path."""
        while True:  # a deadline, moved on by each packet: woken once per window, not per packet
            idle = time.monotonic() - self._endpoint.last_media
            if idle >= window:
                break
            await asyncio.sleep(window - idle)
        log.info("media_inactive", seconds=round(idle, 1))
        await self._on_connection_state("inactive")

    async def caller_packets(self) -> AsyncIterator[bytes | None]:
        await self._connected.wait()
        while True:
            try:
                packet = await self._endpoint.recv()
            except EndpointClosed:
                if not self._closing:  # the caller hung up its side ("closed") or vanished (ICE consent lost)
                    await self._on_connection_state("closed" if self._endpoint.peer_closed else "failed")
                return
            yield packet.payload if packet is not None else None

    async def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]:
        pending = np.zeros(0, dtype=np.int16)
        async for payload in self.caller_packets():
            if packets is not None:
                packets(payload)
            for samples in self.opus_in.samples(payload):
                pending = np.concatenate((pending, samples)) if len(pending) else samples
            while len(pending) >= IN_FRAME:
                yield pending[:IN_FRAME]
                pending = pending[IN_FRAME:]

    async def stats(self) -> MediaSummary:
        s = self._endpoint.stats()
        return MediaSummary(
            rtt_seconds=s.round_trip_seconds,
            jitter_seconds=s.jitter_seconds,
            fraction_lost=s.remote_fraction_lost,
            packets_received=s.packets_received,
            packets_lost_inbound=s.packets_lost,
            bytes_received=s.bytes_received,
            packets_sent=s.packets_sent,
            packets_lost_outbound=max(0, s.remote_packets_lost or 0),
            bytes_sent=s.bytes_sent,
            packets_taken_late=s.packets_taken_late,
            packets_dropped_inbound=s.packets_dropped,
            media_dropped=s.dropped_by_reason,
            send_errors=s.send_errors,
        )

    async def close(self) -> None:
        self._closing = True
        others = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await self.data.close()
        await self._endpoint.close()
        await asyncio.gather(*others, return_exceptions=True)
        await self._on_ice_state("closed")
        await self._on_connection_state("closed")
        # The callbacks are the call's methods: let go of them so an ended call is freed by
        # reference counting, not at the next full GC pass (~100 MB of ended calls under churn).
        self._on_ice_state = self._on_connection_state = _ignore_state

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
