"""Our endpoint's media health, a part of `AudioEndpoint`: RTCP reports both ways and the counters.

An SR (or RR) goes to the peer about every second; the peer's reports give our stream's loss,
jitter and the round trip. `stats()` is what the gateway exports per call.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

import structlog

from gateway.rtc import rtcp
from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.ice_guard import GuardedConnection
from gateway.rtc.reorder import ReorderBuffer
from gateway.rtc.rtp import RtpPacket

log = structlog.get_logger("gateway.rtc")
OPUS_CLOCK_RATE = 48_000


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


class MediaReports:
    """The reporting half of `AudioEndpoint` (gateway/rtc/endpoint.py), which sets these in its __init__."""

    _ice: GuardedConnection
    _next: tuple[GuardedConnection, CandidatePolicy] | None  # an ICE restart under way
    _dtls: DtlsSrtp | None
    _reorder: ReorderBuffer[RtpPacket]
    _earlier_drops: dict[str, int]
    _ssrc: int
    _timestamp: int
    packets_in: int
    packets_out: int
    _octets_in: int
    _octets_out: int
    _reception: rtcp.ReceptionStats | None
    _last_sr: tuple[int, float] | None  # (LSR, monotonic arrival) of the peer's last SR
    _remote: rtcp.ReportBlock | None
    _rtt: float | None
    taken_late: int
    dropped: dict[str, int]
    send_errors: int

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
        for reason, count in self._earlier_drops.items():
            merged[reason] = merged.get(reason, 0) + count
        for reason, count in self.dropped.items():
            merged[reason] = merged.get(reason, 0) + count
        return merged

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
                if self._next is None:
                    return
                # the old path died during an ICE restart: the next report may go by the new one
            except Exception as e:  # one report that cannot go is skipped, the next one is due in a second
                self._send_failed(e)
