"""A call carried by aiortc: its peer connection, our playout track, the events data channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aioice import Candidate
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcicetransport import candidate_from_aioice
from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCTransportStats,
)

from gateway.call_events import CHANNEL_ID, LABEL, EventChannel
from gateway.link.aiortc_ice import admitted_offer, gather_chosen
from gateway.link.base import PacketTap, StateChanged
from gateway.media.inbound import caller_frames
from gateway.media.outbound import PlayoutTrack
from gateway.media.pcm import Pcm
from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.ice_options import IceOptions
from gateway.stats import MediaSummary

OPUS_CLOCK = 48_000  # RTP timestamp units per second: jitter comes in these


class AiortcLink:
    def __init__(
        self,
        ice_servers: tuple[str, ...],
        playout: PlayoutTrack,
        on_ice_state: StateChanged,
        on_connection_state: StateChanged,
        ice_options: IceOptions | None = None,
        on_candidate_refused: Callable[[str], None] | None = None,
    ) -> None:
        self._ice_options = ice_options or IceOptions()
        self.candidates = CandidatePolicy(self._ice_options, on_candidate_refused)
        # An empty list, not None: with None aiortc asks Google's public STUN server on every call
        # (a DNS lookup in a thread, and a dependency the offline default must not have).
        ice = [RTCIceServer(urls=url) for url in ice_servers]
        self._pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=ice))
        pc.addTrack(playout)
        self.events = EventChannel(pc.createDataChannel(LABEL, negotiated=True, id=CHANNEL_ID))
        self.passes_opus = False
        self._track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self._summary = MediaSummary()

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not self._track.done():
                self._track.set_result(track)

        @pc.on("iceconnectionstatechange")
        async def _ice() -> None:
            if pc.iceConnectionState == "completed":  # a pair is chosen: later candidates change nothing
                self.candidates.connected = True
            await on_ice_state(pc.iceConnectionState)

        @pc.on("connectionstatechange")
        async def _connection() -> None:
            await on_connection_state(pc.connectionState)

    async def answer(self, offer_sdp: str) -> str:
        """Our answer, with all our candidates (aiortc gathers before it answers). The offer's
        candidates pass the candidate policy first; we gather as VOICEPOD_ICE_ADDRESSES says."""
        offer = admitted_offer(offer_sdp, self.candidates)
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await gather_chosen(self._pc, self._ice_options)
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        return self._pc.localDescription.sdp

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        if candidate is None:  # end-of-candidates
            if self.candidates.end():
                await self._pc.addIceCandidate(None)
                why = self.candidates.nothing_usable()
                if why is not None:
                    raise ValueError(why)
            return
        parsed = Candidate.from_sdp(candidate.removeprefix("candidate:"))
        if not self.candidates.admit(parsed):
            return
        ice = candidate_from_aioice(parsed)
        ice.sdpMid, ice.sdpMLineIndex = sdp_mid, sdp_mline_index
        await self._pc.addIceCandidate(ice)

    def caller_packets(self) -> AsyncIterator[bytes | None]:
        raise RuntimeError("aiortc decodes the caller's audio in its track: no packets to hand over")

    async def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]:
        # aiortc decodes in its track; the packets never reach us (passes_opus is False).
        async for frame in caller_frames(await self._track):
            yield frame

    async def stats(self) -> MediaSummary:
        report = await self._pc.getStats()
        s = self._summary = MediaSummary(**self._summary.as_dict())
        for stat in report.values():
            if isinstance(stat, RTCInboundRtpStreamStats):
                s.packets_received, s.packets_lost_inbound = stat.packetsReceived, max(0, stat.packetsLost)
                s.jitter_seconds = stat.jitter / OPUS_CLOCK
            elif isinstance(stat, RTCRemoteInboundRtpStreamStats):
                s.rtt_seconds, s.fraction_lost = stat.roundTripTime, stat.fractionLost
                s.packets_lost_outbound = max(0, stat.packetsLost)
            elif isinstance(stat, RTCOutboundRtpStreamStats):
                s.packets_sent, s.bytes_sent = stat.packetsSent, stat.bytesSent
            elif isinstance(stat, RTCTransportStats):
                # aiortc counts received bytes per transport only (RTP, RTCP and the data channel).
                s.bytes_received = stat.bytesReceived
        return s

    async def close(self) -> None:
        await self._pc.close()
        # Its handlers call the call's methods: let go of them (see LeanLink.close).
        self._pc.remove_all_listeners()
