"""RTP packets, first-byte demultiplexing and the SDP offer/answer of our WebRTC audio endpoint:
what a browser sends is read, what is malformed gets a clear error."""

from __future__ import annotations

import struct

import pytest

from gateway.rtc.rtp import Kind, MalformedRtp, RtpPacket, kind_of
from gateway.rtc.sdp import LocalTransport, SdpError, Setup, build_answer, build_offer, parse_description

# The shape of a Chrome offer: audio with Opus and others, a data channel, bundled.
CHROME_OFFER = """v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 d4:38:E2:0A:4D:2B:8A:7E:18:5E:0D:48:2D:0B:7A:28:E6:E2:3D:4F:8C:9A:6C:9E:11:12:5B:3D:0F:65:43:21
a=setup:actpass
a=mid:0
a=sendrecv
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=fingerprint:sha-256 d4:38:E2:0A:4D:2B:8A:7E:18:5E:0D:48:2D:0B:7A:28:E6:E2:3D:4F:8C:9A:6C:9E:11:12:5B:3D:0F:65:43:21
a=setup:actpass
a=mid:1
a=sctp-port:5000
"""


def test_a_chrome_offer_is_read() -> None:
    offer = parse_description(CHROME_OFFER)
    assert (offer.ice_ufrag, offer.ice_pwd) == ("EsAw", "bP+XJMM09aR8AiX1jdukzR6Y")
    assert offer.fingerprint.startswith("D4:38:E2") and offer.setup is Setup.ACTIVE
    assert offer.audio.mid == "0" and offer.audio.opus == 111 and "useinbandfec=1" in offer.audio.opus_fmtp
    assert offer.candidates == ["1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0"]
    assert [s.kind for s in offer.sections] == ["audio", "application"]


def test_the_answer_takes_opus_alone_and_rejects_the_rest() -> None:
    offer = parse_description(CHROME_OFFER)
    host = "c 1 udp 1 10.0.0.1 5000 typ host"
    local = LocalTransport(ice_ufrag="u", ice_pwd="p" * 22, fingerprint="AB:CD", candidates=[host],
                           address="10.0.0.1", port=5000, ssrc=42)  # fmt: skip
    answer = build_answer(offer, local)
    lines = answer.split("\r\n")
    assert "m=audio 5000 UDP/TLS/RTP/SAVPF 111" in lines and "a=rtpmap:111 opus/48000/2" in lines
    assert "a=group:BUNDLE 0" in lines and "a=setup:active" in lines and "a=fingerprint:sha-256 AB:CD" in lines
    assert "m=application 0 UDP/DTLS/SCTP webrtc-datachannel" in lines  # rejected, port 0
    assert "a=candidate:c 1 udp 1 10.0.0.1 5000 typ host" in lines


@pytest.mark.parametrize(
    ("sdp", "message"),
    [
        ("hello", "must start with v=0"),
        ("v=0\r\ns=-\r\n", "no media sections"),
        ("v=0\r\nm=audio x UDP 0\r\n", "malformed media line"),
        (CHROME_OFFER.replace("a=ice-pwd", "a=x-ice-pwd"), "lacks a=ice-pwd"),
        (CHROME_OFFER.replace("opus/48000/2", "telephone-event/8000"), "no audio section with Opus"),
    ],
)
def test_an_offer_that_cannot_be_answered_says_why(sdp: str, message: str) -> None:
    with pytest.raises(SdpError, match=message):
        _ = parse_description(sdp).audio


def test_an_offer_that_asks_us_to_accept_makes_us_the_dtls_server() -> None:
    assert parse_description(CHROME_OFFER.replace("a=setup:actpass", "a=setup:active")).setup is Setup.PASSIVE


def test_rtp_round_trips_and_skips_csrcs_extensions_and_padding() -> None:
    packet = RtpPacket(111, 65535, 4_000_000_000, 0xDEADBEEF, b"\xfc\x01\x02", marker=True)
    assert RtpPacket.parse(packet.serialize()) == packet
    # One CSRC, a one-word header extension, two bytes of padding.
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 1, 111, 7, 960, 1) + b"\0\0\0\x02"
    data = header + b"\xbe\xde\x00\x01" + b"\x10\xaa\0\0" + b"opus" + b"\0\x02"
    assert RtpPacket.parse(data).payload == b"opus"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80\x6f\x00\x01", "shorter than an RTP header"),
        (b"\x40" + b"\0" * 11, "RTP version 1"),
        (b"\x90" + b"\0" * 11, "truncated header extension"),
        (b"\xa0" + b"\0" * 11 + b"\xff", "header longer than the packet"),  # padding past the start
    ],
)
def test_malformed_rtp_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedRtp, match=message):
        RtpPacket.parse(data)


def test_first_byte_tells_dtls_rtp_and_rtcp_apart() -> None:
    assert kind_of(b"\x16\xfe\xfd") is Kind.DTLS
    assert kind_of(b"\x80\x6f\x00") is Kind.RTP
    assert kind_of(b"\x81\xc9\x00") is Kind.RTCP  # receiver report, PT 201
    assert kind_of(b"") is Kind.OTHER and kind_of(b"\x00\x01") is Kind.OTHER


def test_our_offer_is_audio_with_opus_alone_and_reads_back() -> None:
    host = "c 1 udp 1 10.0.0.1 9 typ host"
    local = LocalTransport(ice_ufrag="u", ice_pwd="p" * 22, fingerprint="AB:CD", candidates=[host],
                           address="10.0.0.1", port=9, ssrc=7)  # fmt: skip
    ours = parse_description(build_offer(local))
    assert ours.audio.opus == 111 and [s.kind for s in ours.sections] == ["audio"]
    assert (ours.ice_ufrag, ours.fingerprint, ours.candidates) == ("u", "AB:CD", [host])
