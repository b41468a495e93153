"""One call's audio over WebRTC without aiortc's media stack: Opus packets in, Opus packets out.

    endpoint = AudioEndpoint()
    answer = await endpoint.answer(offer_sdp)      # send it back over signalling
    await endpoint.start()                         # ICE, then DTLS-SRTP
    packet = await endpoint.recv()                 # the caller's next Opus packet (RtpPacket)
    await endpoint.send(opus_payload)              # 20 ms of Opus to the caller
    await endpoint.close()

Nothing is decoded here: what the gateway does with the packets (forward them to an STT
provider that takes Opus, decode them, or both) is its choice.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import aioice
import pylibsrtp
import structlog

from gateway.rtc.certificate import Certificate, certificate
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.rtp import Kind, MalformedRtp, RtpPacket, kind_of
from gateway.rtc.sdp import Offer, build_answer, parse_offer

log = structlog.get_logger("gateway.rtc")
OPUS_CLOCK_PER_FRAME = 960  # 20 ms at 48 kHz
INBOUND_QUEUE = 50  # 1 s of packets; past that the oldest are dropped (a stalled consumer must not grow memory)


class EndpointClosed(ConnectionError):
    pass


class AudioEndpoint:
    def __init__(self, cert: Certificate | None = None) -> None:
        self._cert = cert or certificate()
        self._ice = aioice.Connection(ice_controlling=False, components=1, use_ipv6=False)
        self._offer: Offer | None = None
        self._dtls: DtlsSrtp | None = None
        self._inbound: asyncio.Queue[RtpPacket | None] = asyncio.Queue(INBOUND_QUEUE)
        self._tasks: list[asyncio.Task[Any]] = []
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self.closed = False
        # Counters the gateway reports (packets, and what was dropped and why).
        self.packets_in = self.packets_out = 0
        self.dropped = {"srtp": 0, "malformed": 0, "other_payload": 0, "overflow": 0}

    async def answer(self, offer_sdp: str) -> str:
        """Read the offer (SdpError if it cannot be answered), gather our candidates, answer."""
        offer = parse_offer(offer_sdp)
        audio = offer.audio
        self._offer = offer
        self._ice.remote_username, self._ice.remote_password = offer.ice_ufrag, offer.ice_pwd
        for c in offer.candidates:
            await self.add_candidate(c)
        if offer.end_of_candidates:
            await self.add_candidate(None)
        await self._ice.gather_candidates()
        default = self._ice.get_default_candidate(1)
        assert default is not None  # gather_candidates found at least one address or raised
        log.debug("rtc_answer", mid=audio.mid, opus=audio.opus, candidates=len(self._ice.local_candidates))
        return build_answer(
            offer,
            ice_ufrag=self._ice.local_username,
            ice_pwd=self._ice.local_password,
            fingerprint=self._cert.fingerprint,
            candidates=[c.to_sdp() for c in self._ice.local_candidates],
            address=default.host,
            port=default.port,
            ssrc=self._ssrc,
        )

    async def add_candidate(self, candidate: str | None) -> None:
        """A trickled remote candidate (the a=candidate value), or None when the peer has no more."""
        if candidate is None:
            await self._ice.add_remote_candidate(None)
            return
        value = candidate.removeprefix("candidate:")
        await self._ice.add_remote_candidate(aioice.Candidate.from_sdp(value))

    async def start(self) -> None:
        """Connect ICE, then DTLS; afterwards packets flow. Raises ConnectionError on failure."""
        assert self._offer is not None, "answer() first"
        await self._ice.connect()
        self._dtls = DtlsSrtp(self._cert, self._offer.setup, self._offer.fingerprint, self._ice.send)
        self._tasks.append(asyncio.create_task(self._receive()))
        await self._dtls.handshake()
        self._tasks.append(asyncio.create_task(self._dtls.after_handshake()))

    async def recv(self) -> RtpPacket:
        packet = await self._inbound.get()
        if packet is None:
            raise EndpointClosed("the call's media ended")
        return packet

    async def send(self, payload: bytes, marker: bool = False) -> None:
        """One 20 ms Opus packet to the peer; sequence and timestamp advance by themselves."""
        assert self._dtls is not None and self._dtls.srtp_out is not None and self._offer is not None
        opus = self._offer.audio.opus
        assert opus is not None
        packet = RtpPacket(opus, self._sequence, self._timestamp, self._ssrc, payload, marker)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + OPUS_CLOCK_PER_FRAME) & 0xFFFFFFFF
        await self._ice.send(self._dtls.srtp_out.protect(packet.serialize()))
        self.packets_out += 1

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._ice.close()
        self._put(None)

    async def _receive(self) -> None:
        assert self._dtls is not None and self._offer is not None
        dtls, opus = self._dtls, self._offer.audio.opus
        try:
            while True:
                data = await self._ice.recv()
                kind = kind_of(data)
                if kind is Kind.DTLS:
                    dtls.feed(data)
                elif kind is Kind.RTP and dtls.srtp_in is not None:
                    try:
                        packet = RtpPacket.parse(dtls.srtp_in.unprotect(data))
                    except pylibsrtp.Error:
                        self.dropped["srtp"] += 1  # not authentic, or replayed
                        continue
                    except MalformedRtp:
                        self.dropped["malformed"] += 1
                        continue
                    if packet.payload_type != opus:
                        self.dropped["other_payload"] += 1
                        continue
                    self.packets_in += 1
                    self._put(packet)
                # RTCP (reports, feedback) is not read yet: the statistics come in a later step.
        except ConnectionError:
            pass  # ICE closed
        finally:
            self._put(None)

    def _put(self, packet: RtpPacket | None) -> None:
        if self._inbound.full():
            self._inbound.get_nowait()
            self.dropped["overflow"] += 1
        self._inbound.put_nowait(packet)
