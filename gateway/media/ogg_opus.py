"""Opus packets <-> Ogg Opus (RFC 7845), without decoding them.

Why: an STT that takes Opus (Deepgram) is handed the caller's own packets instead of
16 kHz PCM, so the gateway neither decodes nor resamples for it, and sends ~1/8 of the
bytes; a TTS that returns Ogg Opus (OpenAI, Deepgram Aura) has its packets played to the
caller as they are, never decoded and re-encoded. Ogg is the container those services speak.

The page checksum is Ogg's CRC-32 (polynomial 0x04C11DB7, unreflected, no pre/post
inversion), computed with zlib's (reflected) CRC-32 on bit-reversed bytes, so it runs in C.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

SAMPLE_RATE = 48_000  # Ogg Opus granule positions always count 48 kHz samples
_BOS, _EOS = 0x02, 0x04
_REVERSED = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))  # each byte's bits reversed
_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, type, granule, serial, sequence, crc, segments
# Samples per frame at 48 kHz for the 32 TOC configurations (RFC 6716, 3.1).
_FRAME_SAMPLES = (
    [480, 960, 1920, 2880] * 3  # SILK NB/MB/WB: 10, 20, 40, 60 ms
    + [480, 960] * 2  # hybrid SWB/FB: 10, 20 ms
    + [120, 240, 480, 960] * 4  # CELT NB/WB/SWB/FB: 2.5, 5, 10, 20 ms
)


def ogg_crc(data: bytes) -> int:
    # Reflecting input and output turns the unreflected CRC into zlib's reflected one; passing
    # 0xFFFFFFFF as the running value and flipping the result cancels zlib's inversions.
    reflected = zlib.crc32(data.translate(_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int.from_bytes(reflected.to_bytes(4, "little").translate(_REVERSED), "big")


def packet_samples(packet: bytes) -> int:
    """The 48 kHz samples an Opus packet carries, from its TOC byte (0 for an empty one)."""
    if not packet:
        return 0
    toc = packet[0]
    per_frame = _FRAME_SAMPLES[toc >> 3]
    code = toc & 0x03
    if code == 0:
        return per_frame
    if code in (1, 2):
        return 2 * per_frame
    return per_frame * (packet[1] & 0x3F) if len(packet) > 1 else 0


def lost_packet(previous: bytes) -> bytes:
    """A stand-in for a lost packet: the previous TOC with no frame data, which a decoder
    treats as a loss (it conceals it), so the stream's timeline keeps its length."""
    return bytes((previous[0] & 0xFC,)) if previous else b"\xf8"  # CELT FB 20 ms, code 0


class OggOpusWriter:
    """One logical Ogg Opus stream: `headers()` first, then `page(packets)` per group of packets."""

    def __init__(self, channels: int = 1, vendor: str = "voicepod") -> None:
        self.serial = random.getrandbits(32)
        self.granule = 0  # 48 kHz samples written so far
        self._sequence = 0
        self._channels = channels
        self._vendor = vendor.encode()

    def headers(self) -> bytes:
        """The identification and comment pages (pre-skip 0: the packets are a live call's, taken mid-way)."""
        head = struct.pack("<8sBBHIhB", b"OpusHead", 1, self._channels, 0, SAMPLE_RATE, 0, 0)
        tags = b"OpusTags" + struct.pack("<I", len(self._vendor)) + self._vendor + struct.pack("<I", 0)
        return self._page((head,), _BOS) + self._page((tags,), 0)

    def page(self, packets: Sequence[bytes], last: bool = False) -> bytes:
        """One page holding these packets (at most 255 segments' worth)."""
        self.granule += sum(packet_samples(p) for p in packets)
        return self._page(packets, _EOS if last else 0)

    def _page(self, packets: Sequence[bytes], flags: int) -> bytes:
        lacing = bytearray()
        for p in packets:
            lacing += b"\xff" * (len(p) // 255) + bytes((len(p) % 255,))
        if len(lacing) > 255:
            raise ValueError(f"{len(packets)} packets need {len(lacing)} segments; a page holds 255")
        header = _HEADER.pack(b"OggS", 0, flags, self.granule, self.serial, self._sequence, 0, len(lacing))
        page = bytearray(header + lacing + b"".join(packets))
        struct.pack_into("<I", page, 22, ogg_crc(bytes(page)))
        self._sequence += 1
        return bytes(page)


@dataclass(frozen=True)
class OpusSpeech:
    """Speech that is already Opus (from a TTS): played out packet by packet as it is."""

    packets: tuple[bytes, ...]
    samples: int  # 48 kHz samples the packets carry

    @classmethod
    def of(cls, packets: Sequence[bytes]) -> OpusSpeech:
        return cls(tuple(packets), sum(packet_samples(p) for p in packets))

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE


def read_ogg_opus(data: bytes) -> OpusSpeech:
    """The audio packets of a whole Ogg Opus file (headers skipped); ValueError if it is not one.

    The encoder's pre-skip (a few ms of priming at the start) is played, not trimmed: it is
    near silence, and trimming would mean decoding."""
    packets: list[bytes] = []
    partial = b""  # a packet continued on the next page
    at = 0
    while at < len(data):
        if data[at : at + 4] != b"OggS" or len(data) < at + 27:
            raise ValueError(f"not an Ogg page at byte {at}")
        segments = data[at + 26]
        lacing = data[at + 27 : at + 27 + segments]
        end = at + 27 + segments + sum(lacing)
        if len(lacing) < segments or end > len(data):
            raise ValueError(f"the Ogg page at byte {at} is cut short")
        page = data[at:end]
        if ogg_crc(page[:22] + bytes(4) + page[26:]) != struct.unpack_from("<I", page, 22)[0]:
            raise ValueError(f"the Ogg page at byte {at} fails its CRC")
        body, start, size = page[27 + segments :], 0, 0
        for value in lacing:
            size += value
            if value < 255:
                packets.append(partial + body[start : start + size])
                partial, start, size = b"", start + size, 0
        partial += body[start : start + size]
        at = end
    if len(packets) < 2 or not packets[0].startswith(b"OpusHead") or not packets[1].startswith(b"OpusTags"):
        raise ValueError("not Ogg Opus: OpusHead and OpusTags must come first")
    return OpusSpeech.of(packets[2:])
