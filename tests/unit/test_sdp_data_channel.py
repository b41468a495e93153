"""Offers with a data channel (aiortc's, and Chromium's and Firefox's shapes) get well-formed
answers from our endpoint's SDP: the data channel bundled on the audio's transport when our side
runs SCTP, rejected as RFC 8843 says (port 0, outside the BUNDLE group) when it does not.

The aiortc offer was recorded from aiortc 1.16 (this repository's); the browser ones are written
in the shapes Chromium and Firefox give (no browser runs here): audio first, data channel first,
Firefox's session-level fingerprint, and the pre-RFC 8841 `DTLS/SCTP` form with a=sctpmap.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiortc import sdp as aiortc_sdp

from gateway.rtc.sdp import LocalTransport, Setup, build_answer, parse_description

FIXTURES = Path(__file__).parent / "sdp"
OFFERS = sorted(p.name for p in FIXTURES.glob("*.sdp"))
LOCAL = LocalTransport(ice_ufrag="ourU", ice_pwd="p" * 22, fingerprint="AB:CD:EF",
                       candidates=["c1 1 udp 2130706431 10.0.0.1 5000 typ host"], address="10.0.0.1", port=5000,
                       ssrc=42)  # fmt: skip


def _offer(name: str) -> str:
    return (FIXTURES / name).read_text().replace("\n", "\r\n")


def _sections(answer: str) -> list[list[str]]:
    """The answer's lines, split at each m= line (the session part first)."""
    parts: list[list[str]] = [[]]
    for line in answer.split("\r\n"):
        if line.startswith("m="):
            parts.append([])
        if line:
            parts[-1].append(line)
    return parts


def _group(answer: str) -> list[str]:
    (line,) = [ln for ln in answer.split("\r\n") if ln.startswith("a=group:BUNDLE")]
    return line.split()[1:]


def _value(section: list[str], prefix: str) -> str:
    (line,) = [ln for ln in section if ln.startswith(prefix)]
    return line[len(prefix) :]


@pytest.mark.parametrize("name", OFFERS)
def test_a_data_channel_is_bundled_with_the_audio_when_we_run_sctp(name: str) -> None:
    offer = parse_description(_offer(name), data=True)
    answer = build_answer(offer, LOCAL)
    _, *sections = _sections(answer)
    offered = [(s.kind, s.mid) for s in offer.sections]
    # One answer section per offered one, same kinds and mids, in the same order (RFC 8829 5.3.1).
    assert [(s[0][2:].split()[0], _value(s, "a=mid:")) for s in sections] == offered
    # Both in the one BUNDLE group, in the offer's order: its tag stays the tag.
    offered_group = _group(_offer(name))
    assert _group(answer) == offered_group
    for section in sections:
        kind, port, proto = section[0][2:].split()[:3]
        assert port == "5000" and f"a=candidate:{LOCAL.candidates[0]}" in section and "a=end-of-candidates" in section
        assert _value(section, "a=ice-ufrag:") == "ourU" and _value(section, "a=fingerprint:sha-256 ") == "AB:CD:EF"
        assert _value(section, "a=setup:") == "active"  # every offer here says actpass: we connect
        if kind == "audio":
            assert section[0] == f"m=audio 5000 UDP/TLS/RTP/SAVPF {offer.audio.opus}"
        elif proto == "DTLS/SCTP":  # answered in the form it was offered
            assert section[0] == "m=application 5000 DTLS/SCTP 5000"
            assert "a=sctpmap:5000 webrtc-datachannel 65535" in section
        else:
            assert section[0] == f"m=application 5000 {proto} webrtc-datachannel"
            assert "a=sctp-port:5000" in section and "a=max-message-size:65536" in section
    # What SCTP needs: the caller's port, and the transport's credentials from the bundle's tag.
    assert offer.application is not None and offer.application.sctp_port == 5000
    assert offer.transport_mid == offered_group[0]
    # aiortc (a caller) reads it: the data channel section with its SCTP port and our DTLS role.
    parsed = aiortc_sdp.SessionDescription.parse(answer)
    (data,) = [m for m in parsed.media if m.kind == "application"]
    assert data.port == 5000 and data.dtls is not None and data.dtls.role == "client"
    assert (data.sctp_port if data.profile != "DTLS/SCTP" else int(data.fmt[0])) == 5000


@pytest.mark.parametrize("name", OFFERS)
def test_without_sctp_the_data_channel_is_rejected_as_rfc_8843_says(name: str) -> None:
    offer = parse_description(_offer(name), data=False)
    answer = build_answer(offer, LOCAL)
    _, *sections = _sections(answer)
    (audio,) = [s for s in sections if s[0].startswith("m=audio")]
    (data,) = [s for s in sections if s[0].startswith("m=application")]
    assert _group(answer) == [_value(audio, "a=mid:")]  # the rejected mid is not in the group
    assert (
        data[0].split()[1] == "0" and "a=end-of-candidates" not in data and not any("a=candidate" in ln for ln in data)
    )
    assert audio[0].split()[1] == "5000" and offer.application is None
    assert offer.transport_mid == _value(audio, "a=mid:")


def test_the_transport_is_read_from_the_section_the_bundle_keeps() -> None:
    # aiortc (bundle policy "balanced") offers each section on its own transport (its own port and
    # candidates). With the data channel as the offer's tag, accepting it keeps its transport for
    # both; refusing it leaves the audio's.
    head, audio, data = _offer("aiortc_1_16_audio_data.sdp").split("m=")
    audio, data = _ufrag(audio, "AUDIO"), _ufrag(data, "DATA")
    sdp = head.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0") + "m=" + audio + "m=" + data
    taken, refused = parse_description(sdp, data=True), parse_description(sdp, data=False)
    assert taken.transport_mid == "1" and taken.ice_ufrag == "DATA"
    assert [c.split()[5] for c in taken.candidates] == [data.split()[1]]  # the data section's port
    assert refused.transport_mid == "0" and refused.ice_ufrag == "AUDIO"
    assert [c.split()[5] for c in refused.candidates] == [audio.split()[1]]
    assert _group(build_answer(taken, LOCAL)) == ["1", "0"] and _group(build_answer(refused, LOCAL)) == ["0"]


def _ufrag(section: str, ufrag: str) -> str:
    return "\r\n".join(f"a=ice-ufrag:{ufrag}" if ln.startswith("a=ice-ufrag:") else ln for ln in section.split("\r\n"))


def test_a_data_channel_outside_the_audios_bundle_is_rejected() -> None:
    # Two transports would be needed: we have one, so the data channel is refused, not half-taken.
    sdp = _offer("chromium_audio_data.sdp").replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0")
    offer = parse_description(sdp, data=True)
    assert offer.application is None and _group(build_answer(offer, LOCAL)) == ["0"]
    assert "m=application 0 UDP/DTLS/SCTP webrtc-datachannel" in build_answer(offer, LOCAL)


def test_a_refused_data_channel_section_is_not_taken_even_with_sctp() -> None:
    sdp = _offer("firefox_audio_data.sdp").replace("m=application 9 ", "m=application 0 ")
    offer = parse_description(sdp, data=True)
    assert offer.application is None and offer.setup is Setup.ACTIVE


def test_candidates_and_their_end_are_the_tagged_sections_or_the_sessions() -> None:
    sdp = _offer("aiortc_1_16_audio_data.sdp")
    offer = parse_description(sdp, data=True)
    assert len(offer.candidates) == 1 and offer.end_of_candidates
    # Without a=end-of-candidates in the tagged section, only one at session level (RFC 8840) ends them.
    head, audio, data = sdp.split("m=")
    audio = audio.replace("a=end-of-candidates\r\n", "")
    assert not parse_description(head + "m=" + audio + "m=" + data, data=True).end_of_candidates
    session_end = head + "a=end-of-candidates\r\n" + "m=" + audio + "m=" + data
    assert parse_description(session_end, data=True).end_of_candidates
