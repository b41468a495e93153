"""Per-call media quality from aiortc's getStats(), polled every few seconds.

Each poll updates the call's summary (served at GET /calls, logged at hang-up) and
feeds pod-level histograms and counters. Counters get the increase since the last
poll, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCOutboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCTransportStats,
)

from gateway import metrics

OPUS_CLOCK = 48_000  # RTP timestamp units per second: jitter comes in these


@dataclass
class MediaSummary:
    rtt_seconds: float | None = None
    jitter_seconds: float | None = None
    fraction_lost: float | None = None
    packets_received: int = 0
    packets_lost_inbound: int = 0
    bytes_received: int = 0
    packets_sent: int = 0
    packets_lost_outbound: int = 0
    bytes_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StatsPoller:
    def __init__(self, pc: RTCPeerConnection) -> None:
        self._pc = pc
        self.summary = MediaSummary()

    async def poll(self) -> MediaSummary:
        report = await self._pc.getStats()
        s, before = self.summary, MediaSummary(**asdict(self.summary))
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
        self._export(before, s)
        return s

    @staticmethod
    def _export(before: MediaSummary, now: MediaSummary) -> None:
        if now.rtt_seconds is not None:
            metrics.RTT.observe(now.rtt_seconds)
        if now.jitter_seconds is not None:
            metrics.JITTER.observe(now.jitter_seconds)
        if now.fraction_lost is not None:
            metrics.FRACTION_LOST.observe(now.fraction_lost)
        for direction, new, old in (
            ("inbound", now.packets_lost_inbound, before.packets_lost_inbound),
            ("outbound", now.packets_lost_outbound, before.packets_lost_outbound),
        ):
            if new > old:
                metrics.PACKETS_LOST.labels(direction).inc(new - old)
        for direction, new, old in (
            ("inbound", now.packets_received, before.packets_received),
            ("outbound", now.packets_sent, before.packets_sent),
        ):
            if new > old:
                metrics.PACKETS.labels(direction).inc(new - old)
        for direction, new, old in (
            ("inbound", now.bytes_received, before.bytes_received),
            ("outbound", now.bytes_sent, before.bytes_sent),
        ):
            if new > old:
                metrics.BYTES.labels(direction).inc(new - old)
