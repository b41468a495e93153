"""One call's audio over WebRTC without aiortc's media stack: Opus packets in, Opus packets out.

    endpoint = AudioEndpoint()
    answer = await endpoint.answer(offer_sdp)      # send it back over signalling
    await endpoint.start()                         # ICE, then DTLS-SRTP
    packet = await endpoint.recv()                 # the caller's next Opus packet, in order (None: lost)
    await endpoint.send(opus_payload)              # 20 ms of Opus to the caller
    await endpoint.close()

Nothing is decoded here: what the gateway does with the packets (forward them to an STT
provider that takes Opus, decode them, or both) is its choice.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aioice
import pylibsrtp
import structlog

from gateway.rtc import rtcp
from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.certificate import Certificate, certificate
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.ice_gather import gather
from gateway.rtc.ice_guard import MTU, GuardedConnection
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.reorder import ReorderBuffer
from gateway.rtc.rtp import Kind, MalformedRtp, RtpPacket, kind_of
from gateway.rtc.sdp import Description, LocalTransport, SdpError, build_answer, build_offer, parse_description

log = structlog.get_logger("gateway.rtc")
OPUS_CLOCK_PER_FRAME = 960  # 20 ms at 48 kHz
INBOUND_QUEUE = 50  # 1 s of packets; past that the oldest are dropped (a stalled consumer must not grow memory)
TAKEN_LATE = 0.040  # a packet the consumer takes this long after it arrived: the consumer is behind
CONNECT_TIMEOUT = 20.0  # ICE and DTLS together; a browser on a working network needs well under 1 s
_CLOSED = object()  # queued when the media ends


OPUS_CLOCK_RATE = 48_000


class EndpointClosed(ConnectionError):
    pass


@dataclass(frozen=True)
class EndpointStats:
    """The call's media health, both directions (what the gateway exports per call)."""

    packets_received: int
    bytes_received: int  # Opus payload
    packets_lost: int  # of the peer's stream, as we count it
    jitter_seconds: float  # of the peer's stream, as we measure it
    packets_concealed: int  # lost packets handed on as None (gaps not refilled in time)
    packets_taken_late: int  # taken by the consumer > 40 ms after arrival (its event loop is behind)
    packets_dropped: int  # reached the endpoint but never handed on: not authentic, malformed, oversized, ...
    packets_sent: int
    bytes_sent: int  # Opus payload
    round_trip_seconds: float | None  # from the peer's reports on our stream
    remote_packets_lost: int | None  # of our stream, as the peer reports it
    remote_fraction_lost: float | None  # of our stream since the peer's previous report
    remote_jitter_seconds: float | None
    # Every datagram dropped on the media port, by reason: the ICE guard's (before ICE, from a stranger,
    # over the MTU, a backlog) and the endpoint's own (not authentic, malformed, an error handling it).
    dropped_by_reason: dict[str, int]
    send_errors: int  # our packets that could not be sent (each counted and skipped)


class AudioEndpoint:
    """Answers a caller's offer (the gateway), or with `offering=True` makes the offer (load callers)."""

    def __init__(
        self,
        cert: Certificate | None = None,
        *,
        offering: bool = False,
        stun_server: tuple[str, int] | None = None,
        ice: IceOptions | None = None,
        on_candidate_refused: Callable[[str], None] | None = None,
    ) -> None:
        self._cert = cert or certificate()
        # Where we gather and what we advertise; which of the peer's candidates we probe.
        self._ice_options = ice or IceOptions()
        self.candidates = CandidatePolicy(self._ice_options, on_candidate_refused)
        # RFC 8445: the offerer's agent is the controlling one.
        self._ice = GuardedConnection(ice_controlling=offering, components=1, use_ipv6=False, stun_server=stun_server)
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
        """Whether a trickled candidate tagged with this section is for our audio transport: a browser
        also gathers for sections we refused (its data channel), with other ICE credentials."""
        if self._peer is None:
            return False
        audio = self._peer.audio
        if sdp_mid is not None:
            return sdp_mid == audio.mid
        sections = self._peer.sections
        return sdp_mline_index is None or (0 <= sdp_mline_index < len(sections) and sections[sdp_mline_index] is audio)

    async def _take_remote(self, sdp: str) -> Description:
        remote = parse_description(sdp)
        _ = remote.audio  # refuses a description without Opus audio
        self._peer = remote
        self._ice.remote_username, self._ice.remote_password = remote.ice_ufrag, remote.ice_pwd
        for c in remote.candidates:
            await self.add_candidate(c)
        if remote.end_of_candidates:
            await self.add_candidate(None)
        return remote

    async def _local_transport(self) -> LocalTransport:
        if not self._ice.local_candidates:
            await gather(self._ice, self._ice_options, ipv6=False)
            self._ice.guard.install()  # in front of the sockets just bound, before any check can succeed
        default = self._ice.get_default_candidate(1)
        assert default is not None  # gather_candidates found at least one address or raised
        return LocalTransport(
            ice_ufrag=self._ice.local_username,
            ice_pwd=self._ice.local_password,
            fingerprint=self._cert.fingerprint,
            candidates=[c.to_sdp() for c in self._ice.local_candidates],
            address=default.host,
            port=default.port,
            ssrc=self._ssrc,
        )

    async def add_candidate(self, candidate: str | None) -> None:
        """A trickled remote candidate (the a=candidate value), or None when the peer has no more.
        Candidates the policy refuses (gateway/rtc/candidate_policy.py) are skipped and counted;
        SdpError if the peer ends its candidates with none usable (ICE would fail at once: say why)."""
        if candidate is None:
            if self.candidates.end():
                await self._ice.add_remote_candidate(None)
                why = self.candidates.nothing_usable()
                if why is not None:
                    raise SdpError(why)
            return
        value = candidate.removeprefix("candidate:")
        try:
            parsed = aioice.Candidate.from_sdp(value)
        except (ValueError, IndexError) as e:
            raise SdpError(f"malformed ICE candidate {value[:80]!r}: {e}") from None
        if self.candidates.admit(parsed):
            await self._ice.add_remote_candidate(parsed)

    async def start(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect ICE, then DTLS; afterwards packets flow. Raises ConnectionError on failure,
        also when the peer has not completed both within `timeout` seconds."""
        assert self._peer is not None, "answer() or accept() first"
        try:
            async with asyncio.timeout(timeout):
                await self._ice.connect()
                self.candidates.connected = True
                self._dtls = DtlsSrtp(self._cert, self._peer.setup, self._peer.fingerprint, self._ice.send)
                self._tasks.append(asyncio.create_task(self._receive()))
                await self._dtls.handshake()
        except TimeoutError:
            stage = "DTLS" if self._dtls is not None else "ICE"
            raise ConnectionError(f"{stage} did not connect within {timeout:g} s") from None
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
        if item is _CLOSED:
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
            raise  # ICE is gone: the media has ended
        except Exception as e:  # one packet that cannot go (too big for SRTP, say) must not end the call
            self._send_failed(e)
            return
        self.packets_out += 1
        self._octets_out += len(payload)

    def stats(self) -> EndpointStats:
        reception, remote = self._reception, self._remote
        return EndpointStats(
            packets_received=self.packets_in,
            bytes_received=self._octets_in,
            packets_lost=max(0, reception.lost) if reception else 0,
            jitter_seconds=reception.jitter_seconds if reception else 0.0,
            packets_concealed=self._reorder.lost,
            packets_taken_late=self.taken_late,
            packets_dropped=sum(self.dropped.values()),
            packets_sent=self.packets_out,
            bytes_sent=self._octets_out,
            round_trip_seconds=self._rtt,
            remote_packets_lost=remote.packets_lost if remote else None,
            remote_fraction_lost=remote.fraction_lost if remote else None,
            remote_jitter_seconds=remote.jitter / OPUS_CLOCK_RATE if remote else None,
            dropped_by_reason=self.dropped_by_reason(),
            send_errors=self.send_errors,
        )

    def dropped_by_reason(self) -> dict[str, int]:
        merged = dict(self._ice.guard.dropped)
        for reason, count in self.dropped.items():
            merged[reason] = merged.get(reason, 0) + count
        return merged

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()  # each one's CancelledError holds its frame, which holds this endpoint
        if self._dtls is not None and self._dtls.established:
            await self._dtls.close()  # close_notify: the peer ends its media now, not at ICE consent's ~30 s
        await self._ice.close()
        self._put(_CLOSED)

    async def _until_peer_closes(self) -> None:
        assert self._dtls is not None
        await self._dtls.after_handshake()
        self.peer_closed = True
        self._put(_CLOSED)

    async def _receive(self) -> None:
        assert self._dtls is not None and self._peer is not None
        dtls, opus = self._dtls, self._peer.audio.opus
        try:
            while True:
                data = await self._ice.recv()
                try:
                    self._datagram(data, dtls, opus)
                except Exception as e:  # whatever one datagram does, it must not end the call
                    self.dropped["error"] += 1
                    if self.dropped["error"] == 1:  # once per call: a flood must not flood the log too
                        log.warning("media_datagram_failed", error=repr(e), size=len(data))
        except ConnectionError:
            pass  # ICE closed
        finally:
            self._put(_CLOSED)

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
            self._received(packet)
            for item in self._reorder.push(packet.sequence, packet):
                self._put(item)
        elif kind is Kind.RTCP and dtls.srtp_in is not None:
            try:
                self._reports(rtcp.parse(dtls.srtp_in.unprotect_rtcp(data)))
            except pylibsrtp.Error:
                self.dropped["srtp"] += 1
            except rtcp.MalformedRtcp:
                self.dropped["malformed"] += 1

    def _send_failed(self, error: Exception) -> None:
        self.send_errors += 1
        if self.send_errors == 1:
            log.warning("media_send_failed", error=repr(error))

    def _received(self, packet: RtpPacket) -> None:
        if self._reception is None or self._reception.ssrc != packet.ssrc:
            self._reception = rtcp.ReceptionStats(packet.ssrc, OPUS_CLOCK_RATE)
        self._reception.add(packet.sequence, packet.timestamp, time.monotonic())

    def _reports(self, reports: list[rtcp.Report]) -> None:
        arrival = rtcp.ntp_now()
        for report in reports:
            if report.sender is not None:
                self._last_sr = (rtcp.middle_32(report.sender.ntp), time.monotonic())
            for block in report.blocks:
                if block.ssrc == self._ssrc:
                    self._remote = block
                    rtt = rtcp.round_trip_seconds(block, arrival)
                    if rtt is not None:
                        self._rtt = rtt

    async def _report(self) -> None:
        """An SR (or RR) about every second, randomised as RFC 3550 6.2 asks."""
        assert self._dtls is not None and self._dtls.srtp_out is not None
        while True:
            await asyncio.sleep(0.5 + random.random())
            blocks = []
            if self._reception is not None:
                lsr, dlsr = 0, 0
                if self._last_sr is not None:
                    lsr, dlsr = self._last_sr[0], int((time.monotonic() - self._last_sr[1]) * 65536)
                blocks.append(self._reception.block(lsr, dlsr))
            sender = None
            if self.packets_out:
                sender = rtcp.SenderInfo(rtcp.ntp_now(), self._timestamp, self.packets_out, self._octets_out)
            if sender is None and not blocks:
                continue
            try:
                await self._ice.send(self._dtls.srtp_out.protect_rtcp(rtcp.build(self._ssrc, sender, blocks)))
            except ConnectionError:
                return
            except Exception as e:  # one report that cannot go is skipped, the next one is due in a second
                self._send_failed(e)

    def _put(self, item: RtpPacket | object | None) -> None:
        if self._inbound.full():
            self._inbound.get_nowait()
            self.dropped["overflow"] += 1
        self._inbound.put_nowait((item, time.monotonic()))
