"""RTP packets (RFC 3550) and telling apart what arrives on one bundled, rtcp-muxed port (RFC 7983)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

HEADER = struct.Struct("!BBHII")  # V/P/X/CC, M/PT, sequence, timestamp, SSRC
VERSION_BITS = 0x80


class Kind(Enum):
    DTLS = "dtls"
    RTP = "rtp"
    RTCP = "rtcp"
    OTHER = "other"  # STUN is taken by ICE before it gets here


def kind_of(datagram: bytes) -> Kind:
    """RFC 7983's first-byte ranges; RTCP is RTP-range with a payload type of 192-223 (RFC 5761)."""
    if not datagram:
        return Kind.OTHER
    first = datagram[0]
    if 20 <= first <= 63:
        return Kind.DTLS
    if 128 <= first <= 191 and len(datagram) >= 2:
        return Kind.RTCP if 192 <= datagram[1] <= 223 else Kind.RTP
    return Kind.OTHER


class MalformedRtp(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < HEADER.size:
            raise MalformedRtp(f"{len(data)} bytes is shorter than an RTP header")
        first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise MalformedRtp(f"RTP version {first >> 6}")
        offset = HEADER.size + 4 * (first & 0x0F)  # CSRCs
        if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
            if len(data) < offset + 4:
                raise MalformedRtp("truncated header extension")
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        end = len(data)
        if first & 0x20:  # padding: its length is the last byte
            end -= data[-1]
        if offset > end:
            raise MalformedRtp("header longer than the packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, bytes(data[offset:end]), bool(second & 0x80))

    def serialize(self) -> bytes:
        second = (0x80 if self.marker else 0) | self.payload_type
        return HEADER.pack(VERSION_BITS, second, self.sequence, self.timestamp, self.ssrc) + self.payload
