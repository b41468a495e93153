"""The Ogg Opus stream the gateway hands an STT: FFmpeg's own demuxer must read it back."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest

from gateway.media.ogg_opus import OggOpusWriter, lost_packet, ogg_crc, packet_samples, read_ogg_opus
from gateway.media.opus_out import OpusOut
from gateway.media.pcm import OUT_FRAME, OUT_RATE
from tests.fakes.ogg import ogg_opus
from tests.unit.test_opus_in import tone_packets


def test_the_checksum_is_ogg_crc32() -> None:
    # The bitwise definition (polynomial 0x04C11DB7, MSB first, no inversions) on a few inputs.
    def reference(data: bytes) -> int:
        crc = 0
        for byte in data:
            crc ^= byte << 24
            for _ in range(8):
                crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
        return crc

    for data in (b"", b"OggS", bytes(range(256)) * 3, b"\xff" * 77):
        assert ogg_crc(data) == reference(data)


def test_ffmpeg_demuxes_and_decodes_the_stream_with_its_timeline() -> None:
    packets = tone_packets(50)  # 1 s of a 440 Hz tone, 20 ms packets
    writer = OggOpusWriter()
    stream = writer.headers() + b"".join(writer.page(packets[i : i + 5]) for i in range(0, 50, 5))
    assert writer.granule == 50 * 960

    with av.open(io.BytesIO(stream), "r", format="ogg") as container:  # FFmpeg checks each page's CRC
        audio = container.streams.audio[0]
        assert audio.codec_context.name in ("opus", "libopus")
        demuxed = [bytes(p) for p in container.demux(audio) if p.size]
    assert demuxed == packets

    decoder = av.CodecContext.create("libopus", "r")
    decoder.layout, decoder.format = "mono", "s16"
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for p in demuxed for f in decoder.decode(av.Packet(p))])
    assert len(pcm) == OUT_RATE  # 48 kHz, every packet decoded
    spectrum = np.abs(np.fft.rfft(pcm[OUT_FRAME * 5 :].astype(np.float64)))
    assert abs(np.argmax(spectrum) * OUT_RATE / len(pcm[OUT_FRAME * 5 :]) - 440) < 5


def test_a_corrupted_page_is_refused_by_ffmpeg() -> None:
    packets = tone_packets(15)
    writer = OggOpusWriter()
    pages = [writer.headers(), *(writer.page(packets[i : i + 5]) for i in range(0, 15, 5))]
    bad = bytearray(pages[2])
    bad[-3] ^= 0x01  # a bit of the middle page's last packet flipped: its CRC no longer matches
    stream = b"".join((pages[0], pages[1], bytes(bad), pages[3]))
    with av.open(io.BytesIO(stream), "r", format="ogg") as container:
        demuxed = [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]
    assert demuxed == packets[:5] + packets[10:]


def test_packet_durations_come_from_the_toc() -> None:
    assert packet_samples(tone_packets(1)[0]) == 960  # our encoder: 20 ms
    assert packet_samples(bytes([0b11111_000])) == 960  # CELT FB 20 ms, one frame
    assert packet_samples(bytes([0b00001_001, 0, 0])) == 2 * 960  # SILK NB 20 ms, two frames
    assert packet_samples(bytes([0b10000_011, 3])) == 3 * 120  # CELT NB 2.5 ms, code 3 with 3 frames
    assert packet_samples(b"") == 0


def test_a_lost_packet_keeps_the_timeline_and_decodes_as_concealment() -> None:
    packets = tone_packets(3)
    stand_in = lost_packet(packets[0])
    assert len(stand_in) == 1 and packet_samples(stand_in) == packet_samples(packets[0])
    decoder = av.CodecContext.create("libopus", "r")
    frames = [f for p in (packets[0], stand_in, packets[2]) for f in decoder.decode(av.Packet(p))]
    assert sum(f.samples for f in frames) == 3 * 960


def test_a_page_with_too_many_segments_is_refused() -> None:
    big = bytes(OpusOut().packet(np.zeros(OUT_FRAME, dtype=np.int16)))
    with pytest.raises(ValueError, match="255"):
        OggOpusWriter().page([big] * 256)


def test_an_ffmpeg_made_file_reads_back_as_its_packets() -> None:
    pcm = (np.sin(np.arange(48_000) / 10) * 8000).astype(np.int16)  # 1 s
    data = ogg_opus(pcm)
    with av.open(io.BytesIO(data), "r", format="ogg") as container:
        expected = [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]
    speech = read_ogg_opus(data)
    assert list(speech.packets) == expected
    assert speech.samples == sum(packet_samples(p) for p in expected) and 1.0 <= speech.seconds <= 1.1


def test_our_own_stream_reads_back_and_a_packet_may_span_pages() -> None:
    packets = tone_packets(12)
    writer = OggOpusWriter()
    data = writer.headers() + writer.page(packets[:5]) + writer.page(packets[5:])
    assert read_ogg_opus(data).packets == tuple(packets)
    # A 300-byte packet cut across two pages (lacing 255 ends the first: "continued").
    big = bytes(range(256)) + bytes(44)

    def page(body: bytes, lacing: bytes, sequence: int, flags: int) -> bytes:
        header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, 0, 7, sequence, 0, len(lacing)) + lacing
        raw = bytearray(header + body)
        struct.pack_into("<I", raw, 22, ogg_crc(bytes(raw)))
        return bytes(raw)

    head = OggOpusWriter().headers()
    spanning = head + page(big[:255], b"\xff", 2, 0) + page(big[255:], bytes([45]), 3, 1)
    assert read_ogg_opus(spanning).packets == (big,)


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"RIFF....WAVE", "not an Ogg page"), (b"", "OpusHead"), (OggOpusWriter().headers()[:40], "cut short")],
)
def test_what_is_not_ogg_opus_is_refused(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        read_ogg_opus(data)


def test_a_corrupted_file_is_refused() -> None:
    writer = OggOpusWriter()
    data = bytearray(writer.headers() + writer.page(tone_packets(5)))
    data[-1] ^= 0x10
    with pytest.raises(ValueError, match="CRC"):
        read_ogg_opus(bytes(data))
