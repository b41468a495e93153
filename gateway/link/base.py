"""What a call needs from the media link that carries it, and nothing more.

The call (gateway/call.py) owns the playout and its turn loop (gateway/turn_loop.py); a link
hands over the caller's audio as 16 kHz frames, plays the call's `PlayoutTrack` to the caller,
reports its state changes and media figures, and carries the call's events (`MediaLink`). A
WebRTC link also answers the offer and takes trickled candidates (`WebRtcLink`): `AiortcLink`
(aiortc's peer connection, with the events data channel) and `LeanLink` (gateway/rtc: packets
decoded inline; the events data channel by aiortc's SCTP over our DTLS). A phone line's link
(gateway/link/phone/) is set up by its own protocol's messages instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, runtime_checkable

from gateway.call_events import EventSink
from gateway.media.outbound import PlayoutTrack
from gateway.media.pcm import Pcm
from gateway.stats import MediaSummary

# Called with the new state: ICE ("checking", "connected", "failed", "closed", ...) and the
# connection as a whole ("connecting", "connected", "failed", "closed"; "inactive": the caller sent
# no media for the inactivity window, VOICEPOD_MEDIA_INACTIVITY_SECONDS, and has vanished).
StateChanged = Callable[[str], Awaitable[None]]
# Handed each of the caller's Opus packets as received (None: lost), before any decoding.
PacketTap = Callable[[bytes | None], None]


class MediaLink(Protocol):
    passes_opus: bool  # caller_audio() can hand over the caller's Opus packets too

    @property
    def events(self) -> EventSink:
        """Where the call's events go (read-only here: each link has its own kind of sink)."""

    def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]:
        """The caller's audio, 20 ms frames of 16 kHz mono, until the media ends; with
        `packets` (links that pass Opus), each packet is also handed over as it came."""

    def caller_packets(self) -> AsyncIterator[bytes | None]:
        """The caller's Opus packets as received (None: lost), never decoded; only when passes_opus."""

    async def stats(self) -> MediaSummary:
        """The media figures so far, both directions."""

    async def close(self) -> None:
        """Stop the media and release the connection (idempotent)."""


class WebRtcLink(MediaLink, Protocol):
    async def answer(self, offer_sdp: str) -> str:
        """Apply the caller's offer and return our answer; raises ValueError if it cannot be used."""

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        """A trickled candidate of the caller's, or None at end-of-candidates; raises ValueError if
        malformed, or at end-of-candidates when none was usable. Candidates the policy refuses
        (gateway/rtc/candidate_policy.py) are skipped silently and counted."""


@runtime_checkable
class IceRestartable(Protocol):
    """A WebRTC link that takes a caller's ICE restart (the lean one; aiortc's peer connection cannot)."""

    async def restart(self, offer_sdp: str) -> str:
        """Apply the caller's re-offer with new ICE credentials, mid-call; return our answer. The media
        moves to the new path once ICE finds it. ValueError if it cannot be used (the call goes on)."""


# How a call opens its link: given its playout and its ICE and connection state callbacks.
LinkOpener = Callable[[PlayoutTrack, StateChanged, StateChanged], MediaLink]
