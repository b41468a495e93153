"""The impaired path's SDP rewriting (caller/impair.py): each side is told one candidate, the
relay's, and nothing else in its description changes."""

from __future__ import annotations

import pytest
from aiortc.sdp import SessionDescription

from caller.impair import FOUNDATION, HOST_PRIORITY, ImpairedPath, Impairment, host_candidate, with_one_candidate

FINGERPRINT = ("a=fingerprint:sha-256 BE:36:2E:08:F6:C2:29:1E:C3:38:81:2C:FA:92:FA:EC:"
               "C4:D3:31:7B:B3:04:CF:19:AE:9C:80:53:65:5A:96:4A")  # fmt: skip
# An aiortc offer (audio + the events data channel, before BUNDLE picks one transport), with
# candidates that must not be chosen listed before the IPv4 UDP host one.
OFFER = "\r\n".join([
    "v=0",
    "o=- 4004528821 4004528821 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic:WMS *",
    "m=audio 39493 UDP/TLS/RTP/SAVPF 96 0",
    "c=IN IP4 192.0.2.2",
    "a=sendrecv",
    "a=mid:0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=rtcp-mux",
    "a=rtpmap:96 opus/48000/2",
    "a=rtpmap:0 PCMU/8000",
    "a=candidate:d0bcf3d9 1 udp 2130706431 fd00::2 33256 typ host",
    "a=candidate:a1b2c3d4 1 udp 2130706431 0c3f5e1e-7a8b.local 40000 typ host",
    "a=candidate:b2c3d4e5 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active",
    "a=candidate:c3d4e5f6 1 udp 1694498815 203.0.113.9 50000 typ srflx raddr 192.0.2.2 rport 39493",
    "a=candidate:f957a233 1 udp 2130706431 192.0.2.2 39493 typ host",
    "a=end-of-candidates",
    "a=ice-ufrag:k58L",
    "a=ice-pwd:dLIdwg64SKy8TRgnlOZEmw",
    FINGERPRINT,
    "a=setup:actpass",
    "m=application 58938 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 192.0.2.2",
    "a=mid:1",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
    "a=candidate:f957a233 1 udp 2130706431 192.0.2.2 58938 typ host",
    "a=candidate:d0bcf3d9 1 udp 2130706431 fd00::2 54909 typ host",
    "a=end-of-candidates",
    "a=ice-ufrag:k58L",
    "a=ice-pwd:dLIdwg64SKy8TRgnlOZEmw",
    FINGERPRINT,
    "a=setup:actpass",
    "",
])  # fmt: skip
RELAY = ("127.0.0.1", 51000)


def test_the_path_goes_to_the_first_ipv4_udp_host_candidate() -> None:
    assert host_candidate(OFFER) == ("192.0.2.2", 39493)
    with pytest.raises(ValueError, match="no IPv4 UDP host candidate"):
        host_candidate(OFFER.replace(" typ host", " typ prflx"))


def test_each_section_carries_one_candidate_and_everything_else_is_kept() -> None:
    rewritten = with_one_candidate(OFFER, RELAY)
    one = f"a=candidate:{FOUNDATION} 1 udp {HOST_PRIORITY} 127.0.0.1 51000 typ host"
    assert rewritten.count("a=candidate:") == 2 and rewritten.count(one) == 2
    # The candidate takes the first one's place; the default address (c=, m= port) follows it.
    expected = [line for line in OFFER.split("\r\n") if not line.startswith("a=candidate:")]
    expected = [
        line.replace("39493", "51000").replace("58938", "51000").replace("c=IN IP4 192.0.2.2", "c=IN IP4 127.0.0.1")
        for line in expected
    ]
    assert [line for line in rewritten.split("\r\n") if line != one] == expected
    assert rewritten.split("\r\n").index(one) == OFFER.split("\r\n").index("a=candidate:d0bcf3d9 1 udp 2130706431 "
                                                                            "fd00::2 33256 typ host")  # fmt: skip
    assert host_candidate(rewritten) == RELAY


def test_aiortc_reads_the_relay_as_the_only_candidate() -> None:
    parsed = SessionDescription.parse(with_one_candidate(OFFER, RELAY))
    for media in parsed.media:
        (candidate,) = media.ice_candidates
        assert (candidate.ip, candidate.port, candidate.type, candidate.protocol) == (*RELAY, "host", "udp")
        assert (media.host, media.port, media.ice_candidates_complete) == (*RELAY, True)
    assert [m.dtls.role for m in parsed.media if m.dtls] == ["auto", "auto"]  # the rest parsed as before


def test_a_section_without_candidates_is_left_alone() -> None:
    rejected = "m=video 0 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
    sdp = OFFER + rejected
    assert with_one_candidate(sdp, RELAY).endswith(rejected)
    lf = OFFER.replace("\r\n", "\n")  # line endings are kept too
    assert "\r" not in with_one_candidate(lf, RELAY)


def test_an_impairment_is_a_loss_fraction_and_a_non_negative_jitter() -> None:
    for bad in ({"loss": 1.5}, {"loss": -0.1}, {"jitter_seconds": -0.01}):
        with pytest.raises(ValueError):
            Impairment(**bad)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        ImpairedPath(Impairment()).rewrite_answer(OFFER)  # the offer opens the path
