"""Where one turn's reply spent its time, for the turn.latency event and metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TurnClock:
    """Where one turn's reply spent its time (monotonic seconds): the turn.latency split."""

    ended: float  # the turn was ended (by our VAD, or by the STT provider)
    vad_wait: float  # the silence waited for first (our stop_ms, or the provider's endpointing)
    transcribed: float = 0.0  # STT done
    first_line: float = 0.0  # the responder handed over its first line, with audio
    tts_first: float = 0.0  # of which synthesising that line

    def split(self, first_audio: float) -> dict[str, float]:
        """Stages from the end of the caller's speech to the first reply audio; they add up to total."""
        return {
            "vad_wait": self.vad_wait,
            "stt": self.transcribed - self.ended,
            "agent": self.first_line - self.transcribed - self.tts_first,
            "tts_first": self.tts_first,
            "gateway": first_audio - self.first_line,
            "total": first_audio - self.ended + self.vad_wait,
        }
