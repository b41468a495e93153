"""The parts of a WebRTC description an audio endpoint needs, and the ones it writes (RFC 8829/8866).

Only what we use is read from the peer's offer or answer: ICE credentials and candidates, the
DTLS fingerprint and role, each m-section's kind, mid and Opus payload type, and a data channel
section's SCTP port. Our answer accepts the first audio section that offers Opus (with Opus
alone) and, when our side runs SCTP (`data=True`) and the offer bundles it with that audio, the
first data channel section; every other section is rejected as RFC 8843 says (port 0, outside
the BUNDLE group). Our offer (for load callers) is audio with Opus only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import Enum

OPUS = re.compile(r"^(\d+) opus/48000(/2)?$", re.IGNORECASE)
SCTP_PORT = 5000  # ours, as every browser and aiortc use
MAX_MESSAGE_SIZE = 65536  # what our SCTP (aiortc's) takes in one message
_TRANSPORT = ("ice-ufrag", "ice-pwd", "fingerprint", "setup")


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
    sctp_port: int | None = None  # a data channel section's (a=sctp-port, or the legacy format)
    # ICE/DTLS attributes written in this section, and its candidates (a browser trickles them instead).
    transport: dict[str, str] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    end_of_candidates: bool = False

    @property
    def data_channel(self) -> bool:
        """An SCTP data channel section that was not itself refused (port 0)."""
        return self.kind == "application" and self.port != 0 and self.sctp_port is not None

    @property
    def legacy_sctp(self) -> bool:
        """The pre-RFC 8841 form (m=application 9 DTLS/SCTP 5000, with a=sctpmap)."""
        return self.proto == "DTLS/SCTP"


@dataclass
class Description:
    """The peer's offer or answer, read for the sections our side accepts (`accepted`, in the
    BUNDLE order): the transport (ICE and DTLS) is that of the first of them, the bundle's tag."""

    ice_ufrag: str
    ice_pwd: str
    fingerprint: str  # sha-256, upper-case hex pairs joined by ':'
    setup: Setup
    sections: list[MediaSection]
    candidates: list[str] = field(default_factory=list)  # a=candidate values
    end_of_candidates: bool = False
    accepted: list[MediaSection] = field(default_factory=list)
    application: MediaSection | None = None  # the data channel section we accept, if any

    @property
    def audio(self) -> MediaSection:
        return _audio(self.sections)

    @property
    def transport_mid(self) -> str:
        """The section whose transport carries everything (trickled candidates are for it)."""
        return self.accepted[0].mid if self.accepted else self.sections[0].mid


def _audio(sections: list[MediaSection]) -> MediaSection:
    for s in sections:
        if s.kind == "audio" and s.port != 0 and s.opus is not None:
            return s
    raise SdpError("the description has no audio section with Opus (opus/48000/2)")


def parse_description(sdp: str, data: bool = False) -> Description:
    """`data`: our side runs SCTP, so a data channel section bundled with the audio is accepted."""
    if not sdp.startswith("v=0"):
        raise SdpError("not an SDP description (it must start with v=0)")
    session: dict[str, str] = {}
    sections: list[MediaSection] = []
    bundle: list[str] | None = None
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 4 or not parts[1].isdigit():
                raise SdpError(f"malformed media line: {line!r}")
            sections.append(MediaSection(parts[0], int(parts[1]), parts[2], str(len(sections)), parts[3:]))
            continue
        if not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        if name == "group" and value.startswith("BUNDLE") and bundle is None:
            bundle = value.split()[1:]
        elif name in _TRANSPORT:
            target = sections[-1].transport if sections else session
            if name != "fingerprint":
                target.setdefault(name, value)
            elif value.lower().startswith("sha-256 "):
                target.setdefault(name, value.split(None, 1)[1].upper())
        elif sections:
            _section_attribute(sections[-1], name, value)
        elif name == "end-of-candidates":  # at session level (RFC 8840): for every section
            session[name] = ""
    if not sections:
        raise SdpError("the description has no media sections")
    accepted, application = _accepted(sections, bundle or [], data)
    tagged = accepted[0] if accepted else sections[0]
    first = {**session, **tagged.transport}
    missing = [k for k in ("ice-ufrag", "ice-pwd", "fingerprint") if k not in first]
    if missing:
        raise SdpError(f"the description lacks {', '.join('a=' + m for m in missing)} (sha-256 fingerprint needed)")
    peer_setup = first.get("setup", "actpass")
    if peer_setup not in ("active", "passive", "actpass"):
        raise SdpError(f"a=setup:{peer_setup[:40]} is not a DTLS role (active, passive or actpass)")
    setup = Setup.PASSIVE if peer_setup == "active" else Setup.ACTIVE
    return Description(first["ice-ufrag"], first["ice-pwd"], first["fingerprint"], setup, sections,
                       list(tagged.candidates), tagged.end_of_candidates or "end-of-candidates" in session,
                       accepted, application)  # fmt: skip


def _accepted(
    sections: list[MediaSection], bundle: list[str], data: bool
) -> tuple[list[MediaSection], MediaSection | None]:
    """The audio section and, if taken, the data channel one, in the offer's BUNDLE order (its
    first mid is the offerer's tag, which the answer keeps as its own when it accepts it)."""
    try:
        audio = _audio(sections)
    except SdpError:
        return [], None
    application = None
    if data and audio.mid in bundle:  # one transport for both, or no data channel
        application = next((s for s in sections if s.data_channel and s.mid in bundle), None)
    accepted = [audio] if application is None else [audio, application]
    order = {mid: i for i, mid in enumerate(bundle)}
    accepted.sort(key=lambda s: order.get(s.mid, len(order)))
    return accepted, application


def _section_attribute(section: MediaSection, name: str, value: str) -> None:
    if name == "mid":
        section.mid = value
    elif name == "candidate":
        section.candidates.append(value)
    elif name == "end-of-candidates":
        section.end_of_candidates = True
    elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
        section.direction = name
    elif name == "rtpmap":
        m = OPUS.match(value)
        if m and section.opus is None and m.group(1) in section.formats:
            section.opus = int(m.group(1))
    elif name == "fmtp" and section.opus is not None and value.startswith(f"{section.opus} "):
        section.opus_fmtp = value.split(None, 1)[1]
    elif name == "sctp-port" and value.strip().isdigit():
        section.sctp_port = int(value)
    elif name == "sctpmap" and section.legacy_sctp and value.split()[0] in section.formats:
        section.sctp_port = int(value.split()[0]) if value.split()[0].isdigit() else None


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
    """Audio with Opus alone, the data channel section if the offer was read with `data`, in one
    BUNDLE group in the offer's order; every other section rejected (port 0, not in the group)."""
    audio = offer.audio
    assert audio.opus is not None
    lines = _session_lines(" ".join(s.mid for s in offer.accepted))
    for section in offer.sections:
        if section is audio:
            lines += _audio_lines(local, audio.mid, audio.proto, audio.opus, ANSWER_DIRECTION[audio.direction])
        elif section is offer.application:
            lines += _application_lines(local, section)
        else:
            lines += _rejected_lines(local, section, offer.setup)
            continue
        # Candidates in every accepted section, not only the tag: aiortc with max-bundle reads
        # them from the last section of a transport.
        lines += [*(f"a=candidate:{c}" for c in local.candidates), "a=end-of-candidates", *_transport_lines(local)]
        lines.append(f"a=setup:{offer.setup.value}")
    return "\r\n".join(lines) + "\r\n"


def _rejected_lines(local: LocalTransport, section: MediaSection, setup: Setup) -> list[str]:
    # The transport lines too: aiortc refuses a description with a section without them.
    lines = [f"m={section.kind} 0 {section.proto} {' '.join(section.formats)}", "c=IN IP4 0.0.0.0",
             f"a=mid:{section.mid}"]  # fmt: skip
    if section.kind in ("audio", "video"):
        lines.append("a=inactive")
    return [*lines, *_transport_lines(local), f"a=setup:{setup.value}"]


def _application_lines(local: LocalTransport, section: MediaSection) -> list[str]:
    if section.legacy_sctp:
        return [f"m=application {local.port} {section.proto} {SCTP_PORT}", f"c=IN IP4 {local.address}",
                f"a=mid:{section.mid}", f"a=sctpmap:{SCTP_PORT} webrtc-datachannel 65535",
                f"a=max-message-size:{MAX_MESSAGE_SIZE}"]  # fmt: skip
    return [f"m=application {local.port} {section.proto} webrtc-datachannel", f"c=IN IP4 {local.address}",
            f"a=mid:{section.mid}", f"a=sctp-port:{SCTP_PORT}", f"a=max-message-size:{MAX_MESSAGE_SIZE}"]  # fmt: skip


def build_offer(local: LocalTransport, opus: int = 111) -> str:
    """An audio-only offer (our load callers use it); the answerer picks the DTLS roles."""
    lines = _session_lines("0")
    lines += _audio_lines(local, "0", "UDP/TLS/RTP/SAVPF", opus, "sendrecv")
    lines += [*(f"a=candidate:{c}" for c in local.candidates), "a=end-of-candidates", *_transport_lines(local)]
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
    ]


def _transport_lines(local: LocalTransport) -> list[str]:
    return [
        f"a=ice-ufrag:{local.ice_ufrag}",
        f"a=ice-pwd:{local.ice_pwd}",
        f"a=fingerprint:sha-256 {local.fingerprint}",
    ]
