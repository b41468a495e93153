"""A Realtime audio reply as Lines, and where a barge-in cut the last reply.

The model streams 24 kHz PCM and, alongside, the transcript of what it says. The
caller's playout wants pieces it can queue as they come: a piece is cut when the
transcript completes a sentence and at least MIN_SECONDS of audio are buffered, or when
MAX_SECONDS are buffered without a sentence end (a long sentence must not hold playback
back). A piece carries the transcript up to its cut (whole words only). Text and audio
align only roughly (the transcript may run ahead of the audio); that is good enough to
show the words and to place an interruption, and the audio itself is never cut mid-stream.

Barge-in: the call reports, for each cut utterance in playout order, the part of its text
the caller heard; the first report is where the caller stopped listening.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gateway.agent.realtime.protocol import REALTIME_RATE
from gateway.media.pcm import OUT_RATE, Pcm, resample

MIN_SECONDS = 0.5
MAX_SECONDS = 3.0
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")


@dataclass(frozen=True)
class Spoken:
    """One Line of a reply as yielded, and where its audio sits in the model's output item."""

    text: str
    item_id: str = ""
    content_index: int = 0
    start_ms: int = 0
    end_ms: int = 0

    def ms_at(self, heard: str) -> int:
        """Where in the item's audio the caller stopped, given the part of this line they heard."""
        fraction = len(heard) / len(self.text) if self.text else 0.0
        return self.start_ms + round((self.end_ms - self.start_ms) * min(1.0, fraction))


@dataclass(frozen=True)
class AudioPiece:
    spoken: Spoken
    pcm: Pcm  # 48 kHz mono


class AudioChunker:
    def __init__(self) -> None:
        self._transcript = ""
        self._sentences_end = 0  # how much of the transcript is whole sentences
        self._pcm = bytearray()
        self._item = ""
        self._content = 0
        self._samples: dict[tuple[str, int], int] = {}  # audio already cut, per item and content part

    def transcript(self, delta: str) -> list[AudioPiece]:
        self._transcript += delta
        for match in _SENTENCE_END.finditer(self._transcript, self._sentences_end):
            self._sentences_end = match.end()
        return self._cut()

    def audio(self, item_id: str, content_index: int, b64: str) -> list[AudioPiece]:
        pieces = self.flush() if self._pcm and (item_id, content_index) != (self._item, self._content) else []
        self._item, self._content = item_id, content_index
        self._pcm += base64.b64decode(b64)
        return pieces + self._cut()

    def flush(self) -> list[AudioPiece]:
        """All that is left (the end of the audio part or of the response)."""
        if len(self._pcm) < 2:
            return []
        return [self._piece(len(self._transcript))]

    def _cut(self) -> list[AudioPiece]:
        seconds = len(self._pcm) / 2 / REALTIME_RATE
        if self._sentences_end and seconds >= MIN_SECONDS:
            return [self._piece(self._sentences_end)]
        if seconds >= MAX_SECONDS:
            words = self._transcript.rfind(" ") + 1  # whole words only; the rest waits for the next piece
            return [self._piece(words)]
        return []

    def _piece(self, upto: int) -> AudioPiece:
        text, self._transcript = self._transcript[:upto].strip(), self._transcript[upto:]
        self._sentences_end = 0
        size = len(self._pcm) // 2 * 2
        raw = np.frombuffer(bytes(self._pcm[:size]), dtype="<i2").astype(np.int16)
        del self._pcm[:size]
        key = (self._item, self._content)
        start = self._samples.get(key, 0)
        end = self._samples[key] = start + len(raw)
        spoken = Spoken(text, self._item, self._content, start * 1000 // REALTIME_RATE, end * 1000 // REALTIME_RATE)
        return AudioPiece(spoken=spoken, pcm=resample(raw, REALTIME_RATE, OUT_RATE))


def heard_cut(said: Sequence[Spoken], heard: Sequence[str]) -> tuple[int, str] | None:
    """Where the caller stopped hearing the last reply: (index of the cut line, the part of it heard).

    `heard` holds the barge-in reports since the reply began, in playout order. Reports that
    are no prefix of any line of the reply (a filler, the greeting) are not ours. The first
    of ours with text names its line; one without text (cut before it began) is placed by
    counting: the cut utterances are the last ones queued, so it is the len(ours)-th from the end.
    None: nothing of this reply was cut.
    """
    ours = [h for h in heard if any(s.text.startswith(h) for s in said)]
    if not said or not ours:
        return None
    first = ours[0]
    if first:
        index = next(i for i, s in enumerate(said) if s.text.startswith(first))
    else:
        index = max(0, len(said) - len(ours))
    return index, first


def heard_text(said: Sequence[Spoken], cut: tuple[int, str]) -> str:
    index, part = cut
    return " ".join([s.text for s in said[:index] if s.text] + ([part] if part else []))
