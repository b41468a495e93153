"""One caller turn as a live STT answers it: final and interim words, and where it stands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(eq=False)
class LiveTurn:
    finals: list[str] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    interim: str = ""  # the latest words not yet final
    interim_confidence: float = 0.0
    finalize_at: float | None = None  # seconds of audio on this socket when its Finalize went out
    billed: float | None = None  # seconds of audio billed to this turn
    done: asyncio.Event = field(default_factory=asyncio.Event)
    answered: bool = False  # Deepgram finalized it (not given up on after a timeout or a lost socket)

    def text(self) -> str:
        return " ".join([*self.finals, self.interim] if self.interim else self.finals)

    def confidence(self) -> float:
        values = self.confidences + ([self.interim_confidence] if self.interim else [])
        return round(sum(values) / len(values), 3) if values else 0.0


@dataclass(eq=False)
class Finalize:
    turn: LiveTurn
