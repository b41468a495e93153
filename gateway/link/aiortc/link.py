"""A call carried by aiortc: its peer connection, our playout as its track, the events data channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from aioice import Candidate
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcicetransport import candidate_from_aioice
from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCTransportStats,
)

from gateway.call_events import CHANNEL_ID, LABEL
from gateway.link.aiortc.events import EventChannel
from gateway.link.aiortc.frames import caller_frames
from gateway.link.aiortc.ice import admitted_offer, gather_chosen
from gateway.link.aiortc.track import PlayoutSender
from gateway.link.base import PacketTap, StateChanged
from gateway.media.outbound import PlayoutTrack
from gateway.media.pcm import Pcm
from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.ice_guard import MediaPortGuard
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.ice_servers import IceServers
from gateway.stats import MediaSummary

OPUS_CLOCK = 48_000  # RTP timestamp units per second: jitter comes in these


class AiortcLink:
    def __init__(
        self,
        ice_servers: IceServers,
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
        # The same servers and credentials the page gets (a TURN credential minted for this call).
        ice = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
               for s in ice_servers.for_browser(time.time(), "gateway")]  # fmt: skip
        policy = RTCIceTransportPolicy.RELAY if self._ice_options.relay_only else RTCIceTransportPolicy.ALL
        self._pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=ice, iceTransportPolicy=policy))
        pc.addTrack(PlayoutSender(playout))
        self.events = EventChannel(pc.createDataChannel(LABEL, negotiated=True, id=CHANNEL_ID))
        self.passes_opus = False
        self._track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self._summary = MediaSummary()
        self._guards: list[MediaPortGuard] = []

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
        self._guard_media_ports()
        return self._pc.localDescription.sdp

    def _guard_media_ports(self) -> None:
        """Our ICE guard in front of aiortc's sockets, now that they are gathered and before ICE can
        complete (the caller has not had our answer yet): aiortc's DTLS transport would otherwise
        die of one datagram over the MTU (pylibsrtp's ValueError) and take any stranger's data."""
        transports = [t.receiver.transport for t in self._pc.getTransceivers()]
        if self._pc.sctp is not None:
            transports.append(self._pc.sctp.transport)
        connections = {id(c): c for c in (t.transport._connection for t in transports if t is not None)}
        for connection in connections.values():  # one when bundled
            guard = MediaPortGuard(connection)
            guard.install()
            self._guards.append(guard)

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
        s.media_dropped = {}
        for guard in self._guards:
            for reason, count in guard.dropped.items():
                s.media_dropped[reason] = s.media_dropped.get(reason, 0) + count
        return s

    async def close(self) -> None:
        await self._pc.close()
        # Its handlers call the call's methods: let go of them (see LeanLink.close).
        self._pc.remove_all_listeners()
