"""Whatever arrives on the media port or as an offer, our endpoint's parsers answer with their own
clear error or a value: never another exception (a datagram from anyone must not kill a call)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.rtc import rtcp
from gateway.rtc.rtp import Kind, MalformedRtp, RtpPacket, kind_of
from gateway.rtc.sdp import SdpError, parse_description
from tests.unit.test_rtc_wire import CHROME_OFFER

RTP_HEADERS = st.binary(min_size=12, max_size=12).map(lambda b: bytes([0x80 | (b[0] & 0x3F)]) + b[1:])


@settings(max_examples=3000)
@given(st.one_of(st.binary(max_size=300), st.tuples(RTP_HEADERS, st.binary(max_size=200)).map(b"".join)))
def test_any_datagram_is_classified_and_rtp_parses_or_is_refused(data: bytes) -> None:
    kind = kind_of(data)
    assert isinstance(kind, Kind)
    try:
        packet = RtpPacket.parse(data)
    except MalformedRtp:
        return
    assert 0 <= packet.payload_type < 128 and len(packet.payload) <= len(data) - 12


@settings(max_examples=3000)
@given(st.binary(max_size=300))
def test_any_rtcp_parses_or_is_refused(data: bytes) -> None:
    try:
        reports = rtcp.parse(bytes([0x80 | (data[0] & 0x1F)]) + data[1:] if data else data)
    except rtcp.MalformedRtcp:
        return
    assert all(isinstance(r, rtcp.Report) for r in reports)


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(CHROME_OFFER.splitlines()), max_size=40), st.text(max_size=80))
def test_any_mangled_offer_is_answered_or_refused_with_a_reason(lines: list[str], noise: str) -> None:
    sdp = "v=0\r\n" + "\r\n".join([*lines, noise])
    try:
        offer = parse_description(sdp)
        _ = offer.audio
    except SdpError as e:
        assert str(e)
