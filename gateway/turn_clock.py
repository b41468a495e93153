"""Where one turn's reply spent its time, for the turn.latency event and metrics.

From the end of the caller's speech to the reply's first audio going out, in stages that add up
to the total:
- vad_wait: the silence waited for before the turn was ended (our VAD's stop_ms, the end-of-turn
  model's wait, or the provider's endpointing);
- stt: from the turn's end to its final text (0 when the text was decoded during that silence);
- agent: the engine's wait, from the text to its first line (tool calls included);
- tts_first: synthesising the first piece of that line (its first phrase);
- gateway: the first piece handed to playout to its first frame going out (the next 20 ms tick).
A reply prepared during the silence (`prepared`: gateway/agent/rehearsal.py) counts only the part
of its engine and synthesis still left when the text was final: often nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("vad_wait", "stt", "agent", "tts_first", "gateway", "total")


@dataclass
class TurnClock:
    """Where one turn's reply spent its time (monotonic seconds): the turn.latency split."""

    ended: float  # the turn was ended (by our VAD, or by the STT provider)
    vad_wait: float  # the silence waited for first (our stop_ms, or the provider's endpointing)
    transcribed: float = 0.0  # STT done
    first_line: float = 0.0  # the responder handed over its first piece, with audio
    tts_first: float = 0.0  # of which synthesising that piece, after `transcribed`
    prepared: bool = False  # the reply was prepared before the turn ended, and used

    def first_piece(self, at: float, tts_seconds: float, ready_at: float | None = None) -> None:
        """The first piece was handed over at `at`; its synthesis took `tts_seconds` and, for a
        prepared reply, was done at `ready_at` (only what came after `transcribed` counts)."""
        self.first_line = at
        self.tts_first = tts_seconds if ready_at is None else min(tts_seconds, max(0.0, ready_at - self.transcribed))

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
