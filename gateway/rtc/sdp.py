"""The parts of a WebRTC description an audio endpoint needs, and the ones it writes (RFC 8829/8866).

Only what we use is read from the peer's offer or answer: ICE credentials and candidates, the
DTLS fingerprint and role, and each m-section's kind, mid and Opus payload type. Our answer
accepts the first audio section that offers Opus (with Opus alone) and rejects every other
section (port 0); our offer (for load callers) is audio with Opus only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import Enum

OPUS = re.compile(r"^(\d+) opus/48000(/2)?$", re.IGNORECASE)


class SdpError(ValueError):
    """The description cannot be used; the message says why."""


class Setup(Enum):
    """Our DTLS role, from the peer's a=setup (RFC 5763): we connect unless the peer connects."""

    ACTIVE = "active"  # we are the DTLS client
    PASSIVE = "passive"  # we are the DTLS server


@dataclass
class MediaSection:
    kind: str
    port: int
    proto: str
    mid: str
    formats: list[str]
    direction: str = "sendrecv"
    opus: int | None = None  # payload type
    opus_fmtp: str = ""


@dataclass
class Description:
    """The peer's offer or answer."""

    ice_ufrag: str
    ice_pwd: str
    fingerprint: str  # sha-256, upper-case hex pairs joined by ':'
    setup: Setup
    sections: list[MediaSection]
    candidates: list[str] = field(default_factory=list)  # a=candidate values
    end_of_candidates: bool = False

    @property
    def audio(self) -> MediaSection:
        for s in self.sections:
            if s.kind == "audio" and s.port != 0 and s.opus is not None:
                return s
        raise SdpError("the description has no audio section with Opus (opus/48000/2)")


def parse_description(sdp: str) -> Description:
    if not sdp.startswith("v=0"):
        raise SdpError("not an SDP description (it must start with v=0)")
    session: dict[str, str] = {}
    sections: list[MediaSection] = []
    attrs: list[dict[str, str]] = []  # per section, the ICE/DTLS attributes it carries
    candidates: list[str] = []
    end_of_candidates = False
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 4 or not parts[1].isdigit():
                raise SdpError(f"malformed media line: {line!r}")
            sections.append(MediaSection(parts[0], int(parts[1]), parts[2], str(len(sections)), parts[3:]))
            attrs.append({})
            continue
        if not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        target = attrs[-1] if attrs else session
        if name in ("ice-ufrag", "ice-pwd", "setup"):
            target.setdefault(name, value)
        elif name == "fingerprint" and value.lower().startswith("sha-256 "):
            target.setdefault(name, value.split(None, 1)[1].upper())
        elif name == "candidate" and (not sections or sections[-1] is sections[0]):
            candidates.append(value)  # bundled: the first section's candidates serve all
        elif name == "end-of-candidates":
            end_of_candidates = True
        elif sections:
            _section_attribute(sections[-1], name, value)
    if not sections:
        raise SdpError("the description has no media sections")
    first = {**session, **attrs[0]}
    missing = [k for k in ("ice-ufrag", "ice-pwd", "fingerprint") if k not in first]
    if missing:
        raise SdpError(f"the description lacks {', '.join('a=' + m for m in missing)} (sha-256 fingerprint needed)")
    peer_setup = first.get("setup", "actpass")
    if peer_setup not in ("active", "passive", "actpass"):
        raise SdpError(f"a=setup:{peer_setup[:40]} is not a DTLS role (active, passive or actpass)")
    setup = Setup.PASSIVE if peer_setup == "active" else Setup.ACTIVE
    description = Description(first["ice-ufrag"], first["ice-pwd"], first["fingerprint"], setup, sections, candidates)
    description.end_of_candidates = end_of_candidates
    return description


def _section_attribute(section: MediaSection, name: str, value: str) -> None:
    if name == "mid":
        section.mid = value
    elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
        section.direction = name
    elif name == "rtpmap":
        m = OPUS.match(value)
        if m and section.opus is None and m.group(1) in section.formats:
            section.opus = int(m.group(1))
    elif name == "fmtp" and section.opus is not None and value.startswith(f"{section.opus} "):
        section.opus_fmtp = value.split(None, 1)[1]


ANSWER_DIRECTION = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


@dataclass(frozen=True)
class LocalTransport:
    """What our side puts in its description: ICE credentials and candidates, DTLS identity, SSRC."""

    ice_ufrag: str
    ice_pwd: str
    fingerprint: str
    candidates: list[str]
    address: str  # of the default candidate
    port: int
    ssrc: int


def build_answer(offer: Description, local: LocalTransport) -> str:
    audio = offer.audio
    assert audio.opus is not None
    lines = _session_lines(audio.mid)
    for section in offer.sections:
        if section is not audio:
            # Refused (port 0). The transport lines too: aiortc checks every section for them.
            lines += [f"m={section.kind} 0 {section.proto} {' '.join(section.formats)}", "c=IN IP4 0.0.0.0",
                      f"a=mid:{section.mid}", "a=inactive", *_transport_lines(local),
                      f"a=setup:{offer.setup.value}"]  # fmt: skip
            continue
        lines += _audio_lines(local, audio.mid, audio.proto, audio.opus, ANSWER_DIRECTION[audio.direction])
        lines.append(f"a=setup:{offer.setup.value}")
    return "\r\n".join(lines) + "\r\n"


def build_offer(local: LocalTransport, opus: int = 111) -> str:
    """An audio-only offer (our load callers use it); the answerer picks the DTLS roles."""
    lines = _session_lines("0")
    lines += _audio_lines(local, "0", "UDP/TLS/RTP/SAVPF", opus, "sendrecv")
    lines.append("a=setup:actpass")
    return "\r\n".join(lines) + "\r\n"


def _session_lines(mid: str) -> list[str]:
    return ["v=0", f"o=- {secrets.randbits(62)} 1 IN IP4 0.0.0.0", "s=-", "t=0 0", f"a=group:BUNDLE {mid}",
            "a=msid-semantic:WMS *"]  # fmt: skip


def _audio_lines(local: LocalTransport, mid: str, proto: str, pt: int, direction: str) -> list[str]:
    return [
        f"m=audio {local.port} {proto} {pt}",
        f"c=IN IP4 {local.address}",
        f"a={direction}",
        f"a=mid:{mid}",
        "a=msid:voicepod voicepod-audio",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=rtcp-mux",
        f"a=ssrc:{local.ssrc} cname:voicepod",
        f"a=rtpmap:{pt} opus/48000/2",
        f"a=fmtp:{pt} minptime=10;useinbandfec=1",
        *(f"a=candidate:{c}" for c in local.candidates),
        "a=end-of-candidates",
        *_transport_lines(local),
    ]


def _transport_lines(local: LocalTransport) -> list[str]:
    return [
        f"a=ice-ufrag:{local.ice_ufrag}",
        f"a=ice-pwd:{local.ice_pwd}",
        f"a=fingerprint:sha-256 {local.fingerprint}",
    ]
