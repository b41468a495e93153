"""Whisper's n best hearings of one short turn, most likely first.

Beam search already keeps several hypotheses; faster-whisper's `transcribe` returns only the top one.
For a turn where the dialog can tell a usable answer from an unusable one (a phone number has ten
digits), the runners-up are worth having: on the tuning voices of bench/stt, base with 5 beams got
19 of 48 numbers right from the top hearing alone and 26 of 48 taking the first hearing that holds
a whole number (bench/stt_candidates.py). They cost nothing extra: the beams are searched anyway.

Only for turns that fit in one 30-second window (a turn is a sentence or two); longer audio goes
through `transcribe` as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gateway.media.pcm import IN_RATE, Pcm

WINDOW_SECONDS = 30
WINDOW_FRAMES = 3000  # mel frames in whisper's 30-second window
# faster-whisper's own rule for a window with nobody speaking: likely silence AND an unsure decode.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0


def fits(audio: Pcm) -> bool:
    return len(audio) <= WINDOW_SECONDS * IN_RATE


def n_best(model: Any, audio: Pcm, prompt: str | None, beams: int) -> tuple[list[str], float]:
    """The distinct non-empty hearings of `audio` (most likely first) and the top one's average
    log-probability; ([], logprob) when whisper judges that nobody spoke."""
    from faster_whisper.tokenizer import Tokenizer

    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    features = model.feature_extractor(audio.astype(np.float32) / 32768.0)[:, :WINDOW_FRAMES]
    if features.shape[1] < WINDOW_FRAMES:
        features = np.pad(features, ((0, 0), (0, WINDOW_FRAMES - features.shape[1])))
    previous = tokenizer.encode(" " + prompt.strip()) if prompt else []
    request = model.get_prompt(tokenizer, previous, without_timestamps=True)
    result = model.model.generate(
        model.encode(features), [request], beam_size=beams, num_hypotheses=beams, return_scores=True,
        return_no_speech_prob=True, max_length=model.max_length, suppress_blank=True, suppress_tokens=[-1],
    )[0]  # fmt: skip
    top = result.sequences_ids[0]
    logprob = result.scores[0] * len(top) / (len(top) + 1)  # per token, as faster-whisper reports it
    if result.no_speech_prob > NO_SPEECH_PROB and logprob < LOW_LOGPROB:
        return [], logprob
    hearings: list[str] = []
    for ids in result.sequences_ids:
        text = tokenizer.decode(ids).strip()
        if text and text not in hearings:
            hearings.append(text)
    return hearings, logprob
