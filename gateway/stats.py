"""Per-call media quality, whichever stack carries the call (gateway/link), polled every few seconds.

Each poll updates the call's summary (served at GET /calls, logged at hang-up) and
feeds pod-level histograms and counters. Counters get the increase since the last
poll, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gateway import metrics


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
    # Lean stack only (aiortc does not tell): the caller's packets the turn loop took > 40 ms after
    # they arrived (the process is behind), and those dropped before it (bad, or a backlog overflow).
    packets_taken_late: int = 0
    packets_dropped_inbound: int = 0
    # Both stacks: datagrams dropped on the media port, by reason (before ICE, from a stranger, over
    # the MTU, a backlog; on the lean stack also not authentic, malformed, a per-packet error).
    media_dropped: dict[str, int] = field(default_factory=dict)
    send_errors: int = 0  # lean stack: our packets that could not be sent (each skipped)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export(before: MediaSummary, now: MediaSummary) -> None:
    """Feed one call's new figures to the pod's metrics (counters get the increase since `before`)."""
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
    if now.packets_taken_late > before.packets_taken_late:
        metrics.CALLER_PACKETS_LATE.inc(now.packets_taken_late - before.packets_taken_late)
    if now.packets_dropped_inbound > before.packets_dropped_inbound:
        metrics.CALLER_PACKETS_DROPPED.inc(now.packets_dropped_inbound - before.packets_dropped_inbound)
    for reason, count in now.media_dropped.items():
        if count > before.media_dropped.get(reason, 0):
            metrics.MEDIA_DROPPED.labels(reason).inc(count - before.media_dropped.get(reason, 0))
    if now.send_errors > before.send_errors:
        metrics.MEDIA_SEND_ERRORS.inc(now.send_errors - before.send_errors)
    for direction, new, old in (
        ("inbound", now.bytes_received, before.bytes_received),
        ("outbound", now.bytes_sent, before.bytes_sent),
    ):
        if new > old:
            metrics.BYTES.labels(direction).inc(new - old)
