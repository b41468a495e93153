"""What a phone bridge's socket says, whatever its framing: the messages a StreamLink acts on, and
the `Wire` that reads and writes one bridge's framing (Twilio's JSON, our plain audio socket)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Malformed(ValueError):
    """A message that breaks the bridge's protocol; `reason` is a short metric label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Media:
    payload: bytes  # the line's audio, in its encoding
    chunk: int = 0  # the bridge's counter (Twilio's), a jump is media that never arrived; 0: none


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Stop:
    call_sid: str = ""


@dataclass(frozen=True)
class Unknown:
    """An event this bridge does not know (providers add some): counted and skipped."""

    event: str


@dataclass(frozen=True)
class Ignored:
    """A message with nothing to do once the stream runs (Twilio's `connected`, a second `start`)."""


LineMessage = Media | Mark | Dtmf | Stop | Unknown | Ignored
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class Wire(Protocol):
    name: str  # for logs: "twilio", "socket"

    def read(self, data: str | bytes) -> LineMessage:
        """One socket message (text or binary); raises Malformed."""
        ...

    def media(self, audio: bytes) -> str | bytes:
        """Our audio, in the line's encoding, as a message."""
        ...

    def mark(self, name: str) -> str | None:
        """A mark message (echoed once what came before it has played), or None: no marks here."""
        ...

    def clear(self) -> str | None:
        """A message dropping what the bridge holds of our audio, or None: none here."""
        ...
