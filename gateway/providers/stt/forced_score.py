"""How likely a whisper model finds each of several given transcripts of one turn's audio.

Forced decoding: the decoder reads a transcript we wrote instead of choosing its own tokens, and
CTranslate2's `align` (what faster-whisper uses for word timestamps) reports the probability it gave
each of those tokens. The sum of their logs scores a transcript against the audio, so transcripts
that no beam produced can be compared with those it did (gateway/providers/stt/phone_rescore.py).

The whole 30-second window is encoded, padding included: whisper was trained on padded windows,
and scoring against the speech frames alone gave the right transcript a log-probability 20 lower.
The decoder reads the first 15 seconds of it for a turn that fits there: scores within a point or two
of the whole window's, the same choices on the tuning voices, for a third less CPU.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from gateway.media.pcm import Pcm
from gateway.providers.stt.whisper_local import _model as loaded_model  # one loaded copy per model
from gateway.providers.stt.whisper_models import WhisperModelFiles
from gateway.providers.stt.whisper_nbest import WINDOW_FRAMES

TINY = 1e-30  # a token the model gave no probability at all still scores finitely
HALF_WINDOW = WINDOW_FRAMES // 4  # encoder frames (two mel frames each) in 15 seconds


class ForcedScorer:
    """Scores transcripts of audio with one whisper model (the same loaded copy the decoder uses),
    after a decoding prompt. The model is loaded on first use."""

    def __init__(self, files: WhisperModelFiles, prompt: str | None, threads: int = 2) -> None:
        self.files, self._prompt, self._threads = files, prompt, threads

    @functools.cached_property
    def _loaded(self) -> tuple[Any, Any, list[int]]:
        from faster_whisper.tokenizer import Tokenizer

        model = loaded_model(self.files, self._threads)
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        previous = tokenizer.encode(" " + self._prompt.strip()) if self._prompt else []
        return model, tokenizer, model.get_prompt(tokenizer, previous, without_timestamps=True)

    def log_probs(self, audio: Pcm, texts: Sequence[str]) -> list[float]:
        """Each text's summed token log-probability given `audio` (one window: a turn, not a call)."""
        if not texts:
            return []
        import ctranslate2  # type: ignore[import-untyped]

        model, tokenizer, start = self._loaded
        features = model.feature_extractor(audio.astype(np.float32) / 32768.0)[:, :WINDOW_FRAMES]
        frames = features.shape[1]
        features = np.pad(features, ((0, 0), (0, WINDOW_FRAMES - frames)))
        encoded = np.asarray(model.encode(features))
        if frames // 2 < HALF_WINDOW:
            encoded = encoded[:, :HALF_WINDOW]
        # One copy of the encoded audio per text: `align` wants a batch of equal size.
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(texts), axis=0)))
        tokens = [tokenizer.encode(" " + t.strip()) for t in texts]
        results = model.model.align(batch, start, tokens, [frames // 2] * len(texts))
        return [float(np.log(np.maximum(np.asarray(r.text_token_probs), TINY)).sum()) for r in results]
