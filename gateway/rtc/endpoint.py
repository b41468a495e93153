"""One call's audio over WebRTC without aiortc's media stack: Opus packets in, Opus packets out.

    endpoint = AudioEndpoint()
    answer = await endpoint.answer(offer_sdp)      # send it back over signalling
    await endpoint.start()                         # ICE, then DTLS-SRTP
    packet = await endpoint.recv()                 # the caller's next Opus packet, in order (None: lost)
    await endpoint.send(opus_payload)              # 20 ms of Opus to the caller
    await endpoint.close()

Nothing is decoded here: what the gateway does with the packets (forward them to an STT
provider that takes Opus, decode them, or both) is its choice.

A caller's data channel (gateway/rtc/data_channel.py): with `on_data`, the answer accepts the
offer's data channel section and the DTLS application records (SCTP packets) go to `on_data`;
`send_data` sends them. ICE restart (gateway/rtc/ice_restart.py): a re-offer with new ICE
credentials moves the media to a new ICE connection, DTLS and SRTP kept. A relay candidate
(gateway/rtc/turn_relay.py) through `turn`. RTCP reports and the counters: gateway/rtc/media_stats.py.
`last_media` says when the peer last sent authentic media (RTP or RTCP): the link ends a call whose
caller vanished by it (consent, 30 s, is the slow backstop).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aioice
import pylibsrtp
import structlog

from gateway.rtc import rtcp
from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.certificate import Certificate, certificate
from gateway.rtc.data_channel import DataRecords
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.ice_gather import gather
from gateway.rtc.ice_guard import MTU, GuardedConnection
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.ice_restart import CLOSED, CONNECT_TIMEOUT, IceRestarts, IceRoute
from gateway.rtc.media_stats import MediaReports
from gateway.rtc.reorder import ReorderBuffer
from gateway.rtc.rtp import Kind, MalformedRtp, RtpPacket, kind_of
from gateway.rtc.sdp import (
    Description,
    LocalTransport,
    SdpError,
    build_answer,
    build_offer,
    parse_description,
)
from gateway.rtc.turn_relay import TurnAllocation, add_relay, gather_relay_only
from gateway.rtc.udp_mux import UdpMux, pin_selected

log = structlog.get_logger("gateway.rtc")
OPUS_CLOCK_PER_FRAME = 960  # 20 ms at 48 kHz
INBOUND_QUEUE = 50  # 1 s of packets; past that the oldest are dropped (a stalled consumer must not grow memory)
TAKEN_LATE = 0.040  # a packet the consumer takes this long after it arrived: the consumer is behind


class EndpointClosed(ConnectionError):
    pass


class AudioEndpoint(IceRestarts, DataRecords, MediaReports):
    """Answers a caller's offer (the gateway), or with `offering=True` makes the offer (load callers)."""

    def __init__(
        self,
        cert: Certificate | None = None,
        *,
        offering: bool = False,
        stun_server: tuple[str, int] | None = None,
        ice: IceOptions | None = None,
        on_candidate_refused: Callable[[str], None] | None = None,
        mux: UdpMux | None = None,
        on_data: Callable[[bytes], Awaitable[None]] | None = None,
        turn: TurnAllocation | None = None,
    ) -> None:
        self._cert = cert or certificate()
        self._turn = turn  # a relay candidate on this TURN server too (gateway/rtc/turn_relay.py)
        self._offering, self._stun_server = offering, stun_server
        self._on_data = on_data
        # Where we gather and what we advertise; which of the peer's candidates we probe.
        self._ice_options = ice or IceOptions()
        self._mux = mux  # the gateway's shared media port (VOICEPOD_RTC_UDP_PORT), else a socket per call
        self._mux_owner = object()  # names this call to the mux across ICE restarts (a token: no cycle)
        self._on_candidate_refused = on_candidate_refused
        self.candidates = CandidatePolicy(self._ice_options, on_candidate_refused)
        self._ice = self._new_ice()  # the connection that carries the media
        self._route = IceRoute(self._ice)  # DTLS's way out: follows ICE restarts, and holds no endpoint (no cycle)
        # An ICE restart under way: its connection and candidate policy, and the task that moves over to it.
        self._next: tuple[GuardedConnection, CandidatePolicy] | None = None
        self._switching: asyncio.Task[None] | None = None
        self._receiver: asyncio.Task[None] | None = None
        self.restarts = self.restarts_failed = 0
        self._earlier_drops: dict[str, int] = {}  # the ICE guards' counts of connections restarted away from
        self.last_media = time.monotonic()  # the peer's last authentic RTP or RTCP (or the start of the wait)
        self._peer: Description | None = None
        self._dtls: DtlsSrtp | None = None
        # Each item with its arrival time (monotonic), to see how far behind the consumer is.
        self._inbound: asyncio.Queue[tuple[RtpPacket | object | None, float]] = asyncio.Queue(INBOUND_QUEUE)
        self.taken_late = 0
        self._reorder: ReorderBuffer[RtpPacket] = ReorderBuffer()
        self._tasks: list[asyncio.Task[Any]] = []
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self.closed = False
        self.peer_closed = False  # the peer ended the media itself (closed DTLS), rather than vanishing
        # Counters the gateway reports (packets, and what was dropped and why).
        self.packets_in = self.packets_out = 0
        self._octets_in = self._octets_out = 0
        self._reception: rtcp.ReceptionStats | None = None
        self._last_sr: tuple[int, float] | None = None  # (LSR, monotonic arrival) of the peer's last SR
        self._remote: rtcp.ReportBlock | None = None
        self._rtt: float | None = None
        self.dropped = {"srtp": 0, "malformed": 0, "other_payload": 0, "overflow": 0, "oversized": 0, "error": 0}
        self.send_errors = 0
        self.data_errors = 0  # application records (SCTP) whose handling failed

    async def answer(self, offer_sdp: str) -> str:
        """Read the offer (SdpError if it cannot be answered, candidates included), gather our
        candidates, answer."""
        offer = await self._take_remote(offer_sdp)
        return build_answer(offer, await self._local_transport())

    async def offer(self) -> str:
        """Gather our candidates and make an audio-only Opus offer; `accept` takes the answer."""
        return build_offer(await self._local_transport())

    async def accept(self, answer_sdp: str) -> None:
        """The peer's answer to our offer (SdpError if it cannot be used)."""
        await self._take_remote(answer_sdp)

    def carries(self, sdp_mid: str | None, sdp_mline_index: int | None) -> bool:
        """Whether a trickled candidate tagged with this section is for our one transport (the
        bundle's tag): a browser also gathers for the other sections until it has our answer."""
        if self._peer is None:
            return False
        mid = self._peer.transport_mid
        if sdp_mid is not None:
            return sdp_mid == mid
        sections = self._peer.sections
        in_range = sdp_mline_index is not None and 0 <= sdp_mline_index < len(sections)
        return sdp_mline_index is None or (in_range and sections[sdp_mline_index].mid == mid)

    def _new_ice(self) -> GuardedConnection:
        # RFC 8445: the offerer's agent is the controlling one.
        return GuardedConnection(ice_controlling=self._offering, components=1, use_ipv6=False,
                                 stun_server=self._stun_server)  # fmt: skip

    async def _take_remote(self, sdp: str) -> Description:
        remote = parse_description(sdp, data=self._on_data is not None)
        _ = remote.audio  # refuses a description without Opus audio
        self._peer = remote
        self._ice.remote_username, self._ice.remote_password = remote.ice_ufrag, remote.ice_pwd
        for c in remote.candidates:
            await self.add_candidate(c)
        if remote.end_of_candidates:
            await self.add_candidate(None)
        return remote

    async def _local_transport(self, ice: GuardedConnection | None = None) -> LocalTransport:
        ice = ice or self._ice
        if not ice.local_candidates:
            if self._ice_options.relay_only:
                await gather_relay_only(ice, self._turn)
            else:
                await gather(ice, self._ice_options, ipv6=False, mux=self._mux, owner=self._mux_owner)
                if self._turn is not None:
                    await add_relay(ice, self._turn)  # a refusal is logged; the host candidates remain
            ice.guard.install()  # in front of the sockets just bound, before any check can succeed
        default = ice.get_default_candidate(1)
        assert default is not None  # gather_candidates found at least one address or raised
        return LocalTransport(
            ice_ufrag=ice.local_username,
            ice_pwd=ice.local_password,
            fingerprint=self._cert.fingerprint,
            candidates=[c.to_sdp() for c in ice.local_candidates],
            address=default.host,
            port=default.port,
            ssrc=self._ssrc,
        )

    async def add_candidate(self, candidate: str | None) -> None:
        """A trickled remote candidate (the a=candidate value), or None when the peer has no more.
        Candidates the policy refuses (gateway/rtc/candidate_policy.py) are skipped and counted;
        SdpError if the peer ends its candidates with none usable (ICE would fail at once: say why).
        During an ICE restart they are the restart's."""
        ice, policy = self._next or (self._ice, self.candidates)
        if candidate is None:
            if policy.end():
                await ice.add_remote_candidate(None)
                why = policy.nothing_usable()
                if why is not None:
                    raise SdpError(why)
            return
        value = candidate.removeprefix("candidate:")
        try:
            parsed = aioice.Candidate.from_sdp(value)
        except (ValueError, IndexError) as e:
            raise SdpError(f"malformed ICE candidate {value[:80]!r}: {e}") from None
        if policy.admit(parsed):
            await ice.add_remote_candidate(parsed)

    async def start(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect ICE, then DTLS; afterwards packets flow. Raises ConnectionError on failure,
        also when the peer has not completed both within `timeout` seconds."""
        assert self._peer is not None, "answer() or accept() first"
        try:
            async with asyncio.timeout(timeout):
                await self._ice.connect()
                await pin_selected(self._ice)  # on the one media port: a socket of the call's own
                self.candidates.connected = True
                self._dtls = DtlsSrtp(self._cert, self._peer.setup, self._peer.fingerprint, self._route.send)
                self._receiver = asyncio.create_task(self._receive(self._ice))
                self._tasks.append(self._receiver)
                await self._dtls.handshake()
        except TimeoutError:
            stage = "DTLS" if self._dtls is not None else "ICE"
            raise ConnectionError(f"{stage} did not connect within {timeout:g} s") from None
        self.last_media = time.monotonic()
        self._tasks.append(asyncio.create_task(self._until_peer_closes()))
        self._tasks.append(asyncio.create_task(self._report()))

    @property
    def ice_connected(self) -> bool:
        """ICE found a working path (so a failing `start` failed at DTLS)."""
        return self._dtls is not None

    async def recv(self) -> RtpPacket | None:
        """The caller's next packet in sequence order; None stands for one lost packet (20 ms to
        conceal). Raises EndpointClosed when the media has ended."""
        item, arrived = await self._inbound.get()
        if time.monotonic() - arrived > TAKEN_LATE:
            self.taken_late += 1
        if item is CLOSED:
            raise EndpointClosed("the call's media ended")
        assert item is None or isinstance(item, RtpPacket)
        return item

    async def send(self, payload: bytes, marker: bool = False, samples: int = OPUS_CLOCK_PER_FRAME) -> None:
        """One Opus packet (`samples` at 48 kHz: 20 ms unless said) to the peer; sequence and
        timestamp advance by themselves."""
        assert self._dtls is not None and self._dtls.srtp_out is not None and self._peer is not None
        opus = self._peer.audio.opus
        assert opus is not None
        packet = RtpPacket(opus, self._sequence, self._timestamp, self._ssrc, payload, marker)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + samples) & 0xFFFFFFFF
        try:
            await self._ice.send(self._dtls.srtp_out.protect(packet.serialize()))
        except ConnectionError:
            if self._next is None:
                raise  # ICE is gone: the media has ended
            self.send_errors += 1  # the old path died; an ICE restart is under way and may bring a new one
            return
        except Exception as e:  # one packet that cannot go (too big for SRTP, say) must not end the call
            self._send_failed(e)
            return
        self.packets_out += 1
        self._octets_out += len(payload)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()  # each one's CancelledError holds its frame, which holds this endpoint
        self._receiver = self._switching = None
        if self._dtls is not None and self._dtls.established:
            await self._dtls.close()  # close_notify: the peer ends its media now, not at ICE consent's ~30 s
        await self._ice.close()
        if self._next is not None:
            await self._next[0].close()
            self._next = None
        self._put(CLOSED)

    async def _until_peer_closes(self) -> None:
        assert self._dtls is not None
        await self._dtls.after_handshake(self._data if self._on_data is not None else None)
        self.peer_closed = True
        self._put(CLOSED)

    async def _receive(self, ice: GuardedConnection) -> None:
        assert self._dtls is not None and self._peer is not None
        dtls, opus = self._dtls, self._peer.audio.opus
        try:
            while True:
                data = await ice.recv()
                try:
                    self._datagram(data, dtls, opus)
                except Exception as e:  # whatever one datagram does, it must not end the call
                    self.dropped["error"] += 1
                    if self.dropped["error"] == 1:  # once per call: a flood must not flood the log too
                        log.warning("media_datagram_failed", error=repr(e), size=len(data))
        except ConnectionError:
            pass  # ICE closed
        finally:
            # The media has ended, unless ICE was restarted away from this connection or is being
            # restarted (then the restart's outcome decides).
            if ice is self._ice and self._next is None:
                self._put(CLOSED)

    def _datagram(self, data: bytes, dtls: DtlsSrtp, opus: int | None) -> None:
        if len(data) > MTU:  # pylibsrtp refuses them with a ValueError; nothing legitimate is this big
            self.dropped["oversized"] += 1
            return
        kind = kind_of(data)
        if kind is Kind.DTLS:
            dtls.feed(data)
        elif kind is Kind.RTP and dtls.srtp_in is not None:
            try:
                packet = RtpPacket.parse(dtls.srtp_in.unprotect(data))
            except pylibsrtp.Error:
                self.dropped["srtp"] += 1  # not authentic, or replayed
                return
            except MalformedRtp:
                self.dropped["malformed"] += 1
                return
            if packet.payload_type != opus:
                self.dropped["other_payload"] += 1
                return
            self.packets_in += 1
            self._octets_in += len(packet.payload)
            self.last_media = time.monotonic()
            self._received(packet)
            for item in self._reorder.push(packet.sequence, packet):
                self._put(item)
        elif kind is Kind.RTCP and dtls.srtp_in is not None:
            try:
                self._reports(rtcp.parse(dtls.srtp_in.unprotect_rtcp(data)))
                self.last_media = time.monotonic()
            except pylibsrtp.Error:
                self.dropped["srtp"] += 1
            except rtcp.MalformedRtcp:
                self.dropped["malformed"] += 1

    def _put(self, item: RtpPacket | object | None) -> None:
        if self._inbound.full():
            self._inbound.get_nowait()
            self.dropped["overflow"] += 1
        self._inbound.put_nowait((item, time.monotonic()))
