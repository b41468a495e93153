"""RTCP (RFC 3550 section 6): what we tell the peer about its stream and learn about ours.

Receiving: per 20 ms packet, `ReceptionStats.add` keeps the counts a receiver report needs
(extended highest sequence, packets lost, interarrival jitter per RFC 3550 A.8).
Reporting: a sender report (or a receiver report while we send nothing) about the peer's
stream, about once a second. Reading: the peer's reports give the loss and jitter it sees on
our stream, and the round-trip time from the echo of our last sender report (LSR/DLSR).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

SR, RR = 200, 201
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)
REPORT_BLOCK = struct.Struct("!IB3sIIII")  # ssrc, fraction lost, cumulative lost (24 bits), ...
SEQ_MOD = 1 << 16


def ntp_now() -> int:
    """Wall clock as a 64-bit NTP timestamp (32.32 fixed point)."""
    now = time.time() + NTP_EPOCH_OFFSET
    return (int(now) << 32) | int((now % 1) * (1 << 32))


def middle_32(ntp: int) -> int:
    return (ntp >> 16) & 0xFFFFFFFF


@dataclass
class ReportBlock:
    ssrc: int
    fraction_lost: float  # 0..1 since the previous report
    packets_lost: int  # cumulative, may be negative with duplicates
    highest_sequence: int  # extended (with wrap-arounds in the high 16 bits)
    jitter: int  # in RTP clock units
    lsr: int  # middle 32 bits of the NTP time of the last SR received, 0 if none
    dlsr: int  # delay since that SR, in 1/65536 s

    def pack(self) -> bytes:
        lost = max(-(1 << 23), min(self.packets_lost, (1 << 23) - 1)) & 0xFFFFFF
        return REPORT_BLOCK.pack(self.ssrc, min(255, int(self.fraction_lost * 256)), lost.to_bytes(3, "big"),
                                 self.highest_sequence, self.jitter, self.lsr, self.dlsr)  # fmt: skip

    @classmethod
    def unpack(cls, data: bytes, offset: int) -> ReportBlock:
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = REPORT_BLOCK.unpack_from(data, offset)
        cumulative = int.from_bytes(lost, "big", signed=True)
        return cls(ssrc, fraction / 256, cumulative, highest, jitter, lsr, dlsr)


@dataclass
class SenderInfo:
    ntp: int
    rtp_timestamp: int
    packets: int
    octets: int


@dataclass
class Report:
    """One SR or RR from the peer."""

    ssrc: int
    sender: SenderInfo | None
    blocks: list[ReportBlock]


class MalformedRtcp(ValueError):
    pass


def parse(data: bytes) -> list[Report]:
    """The SRs and RRs of a compound RTCP packet; other types (SDES, BYE, feedback) are skipped."""
    reports, offset = [], 0
    while offset + 4 <= len(data):
        first, kind, words = struct.unpack_from("!BBH", data, offset)
        end = offset + 4 * (words + 1)
        if first >> 6 != 2 or end > len(data):
            raise MalformedRtcp(f"bad RTCP header at byte {offset}")
        count = first & 0x1F
        if kind in (SR, RR):
            if end < offset + (28 if kind == SR else 8):
                raise MalformedRtcp(f"{'SR' if kind == SR else 'RR'} shorter than its fixed part")
            (ssrc,) = struct.unpack_from("!I", data, offset + 4)
            body, sender = offset + 8, None
            if kind == SR:
                ntp, rtp_ts, packets, octets = struct.unpack_from("!QIII", data, body)
                sender, body = SenderInfo(ntp, rtp_ts, packets, octets), body + 20
            if body + count * REPORT_BLOCK.size > end:
                raise MalformedRtcp("report blocks past the end of the packet")
            blocks = [ReportBlock.unpack(data, body + i * REPORT_BLOCK.size) for i in range(count)]
            reports.append(Report(ssrc, sender, blocks))
        offset = end
    return reports


def build(ssrc: int, sender: SenderInfo | None, blocks: list[ReportBlock]) -> bytes:
    """An SR (when we have sent media) or an RR, with up to 31 report blocks."""
    body = struct.pack("!I", ssrc)
    if sender is not None:
        body += struct.pack("!QIII", sender.ntp, sender.rtp_timestamp, sender.packets, sender.octets)
    body += b"".join(b.pack() for b in blocks[:31])
    header = struct.pack("!BBH", 0x80 | len(blocks[:31]), SR if sender else RR, len(body) // 4)
    return header + body


class ReceptionStats:
    """What we have received of one remote stream (RFC 3550 A.1, A.3, A.8)."""

    def __init__(self, ssrc: int, clock_rate: int) -> None:
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.received = 0
        self._base: int | None = None
        self._max_seq = 0
        self._cycles = 0
        self._transit: float | None = None
        self.jitter = 0.0  # RTP clock units
        self._expected_prior = 0
        self._received_prior = 0

    def add(self, sequence: int, timestamp: int, arrival: float) -> None:
        """One packet, `arrival` in seconds on a monotonic clock."""
        self.received += 1
        if self._base is None:
            self._base = self._max_seq = sequence
        elif (sequence - self._max_seq) % SEQ_MOD < SEQ_MOD // 2:  # ahead (allowing for wrap-around)
            if sequence < self._max_seq:
                self._cycles += SEQ_MOD
            self._max_seq = sequence
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < self.clock_rate * 10:  # a timestamp jump (the peer restarted its clock) is not jitter
                self.jitter += (d - self.jitter) / 16
        self._transit = transit

    @property
    def extended_highest(self) -> int:
        return self._cycles + self._max_seq

    @property
    def expected(self) -> int:
        return 0 if self._base is None else self.extended_highest - self._base + 1

    @property
    def lost(self) -> int:
        return self.expected - self.received

    @property
    def jitter_seconds(self) -> float:
        return self.jitter / self.clock_rate

    def block(self, lsr: int, dlsr: int) -> ReportBlock:
        """A report block for now; starts the next interval for fraction_lost."""
        expected_interval = self.expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior, self._received_prior = self.expected, self.received
        lost_interval = expected_interval - received_interval
        fraction = lost_interval / expected_interval if expected_interval > 0 and lost_interval > 0 else 0.0
        return ReportBlock(self.ssrc, fraction, self.lost, self.extended_highest & 0xFFFFFFFF, int(self.jitter),
                           lsr, dlsr)  # fmt: skip


def round_trip_seconds(block: ReportBlock, arrival_ntp: int) -> float | None:
    """RTT from a report block echoing our SR (RFC 3550 6.4.1): arrival - LSR - DLSR."""
    if block.lsr == 0:
        return None
    rtt = (middle_32(arrival_ntp) - block.lsr - block.dlsr) & 0xFFFFFFFF
    return rtt / 65536 if rtt < 0x80000000 else 0.0  # clock skew can make a tiny RTT negative
