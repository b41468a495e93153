"""The parts of a WebRTC offer an audio endpoint needs, and the answer it gives (RFC 8829 / 8866).

Only what we use is read: ICE credentials and candidates, the DTLS fingerprint and role,
and each m-section's kind, mid and Opus payload type. The answer accepts the first audio
section that offers Opus (with Opus alone) and rejects every other section (port 0).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import Enum

OPUS = re.compile(r"^(\d+) opus/48000(/2)?$", re.IGNORECASE)


class SdpError(ValueError):
    """The offer cannot be answered; the message says why."""


class Setup(Enum):
    """Our DTLS role, chosen from the offer's a=setup (RFC 5763): we connect unless told to accept."""

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
class Offer:
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
        raise SdpError("the offer has no audio section with Opus (opus/48000/2)")


def parse_offer(sdp: str) -> Offer:
    if not sdp.startswith("v=0"):
        raise SdpError("not an SDP offer (it must start with v=0)")
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
        raise SdpError("the offer has no media sections")
    first = {**session, **attrs[0]}
    missing = [k for k in ("ice-ufrag", "ice-pwd", "fingerprint") if k not in first]
    if missing:
        raise SdpError(f"the offer lacks {', '.join('a=' + m for m in missing)} (sha-256 fingerprint needed)")
    setup = Setup.PASSIVE if first.get("setup", "actpass") == "active" else Setup.ACTIVE
    offer = Offer(first["ice-ufrag"], first["ice-pwd"], first["fingerprint"], setup, sections, candidates)
    offer.end_of_candidates = end_of_candidates
    return offer


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


def build_answer(
    offer: Offer,
    *,
    ice_ufrag: str,
    ice_pwd: str,
    fingerprint: str,
    candidates: list[str],
    address: str,
    port: int,
    ssrc: int,
) -> str:
    audio = offer.audio
    lines = [
        "v=0",
        f"o=- {secrets.randbits(62)} 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        f"a=group:BUNDLE {audio.mid}",
        "a=msid-semantic:WMS *",
    ]
    for section in offer.sections:
        if section is not audio:
            lines += [f"m={section.kind} 0 {section.proto} {' '.join(section.formats)}", "c=IN IP4 0.0.0.0",
                      f"a=mid:{section.mid}", "a=inactive"]  # fmt: skip
            continue
        pt = audio.opus
        lines += [
            f"m=audio {port} {audio.proto} {pt}",
            f"c=IN IP4 {address}",
            f"a={ANSWER_DIRECTION[audio.direction]}",
            f"a=mid:{audio.mid}",
            "a=msid:voicepod voicepod-audio",
            "a=rtcp:9 IN IP4 0.0.0.0",
            "a=rtcp-mux",
            f"a=ssrc:{ssrc} cname:voicepod",
            f"a=rtpmap:{pt} opus/48000/2",
            f"a=fmtp:{pt} minptime=10;useinbandfec=1",
            *(f"a=candidate:{c}" for c in candidates),
            "a=end-of-candidates",
            f"a=ice-ufrag:{ice_ufrag}",
            f"a=ice-pwd:{ice_pwd}",
            f"a=fingerprint:sha-256 {fingerprint}",
            f"a=setup:{offer.setup.value}",
        ]
    return "\r\n".join(lines) + "\r\n"
