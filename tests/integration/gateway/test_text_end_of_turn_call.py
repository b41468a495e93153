"""A real call whose turn the words so far end (VOICEPOD_END_OF_TURN=text): real espeak-ng speech,
our Silero VAD, incremental whisper tiny.en. A pause after "my name is" does not end the turn;
the finished sentence ends it well before the maximum silence."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from caller.client import place_call
from gateway import auth
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import TINY_EN
from gateway.turns import TurnSettings
from tests.integration.gateway_helpers import SECRET, gateway
from tests.speech import say

# A non-default turn mode through a real call: run by `make test-long` (make test keeps its budget).
pytestmark = pytest.mark.long
# Longer than the short silence, shorter than the maximum, and long enough for the pause's decode
# (~0.3-0.6 s of CPU) to come back on a loaded machine while the caller is still silent.
PAUSE_SECONDS = 3.0
MAX_SILENCE_MS = 6000


def paused_speech(tmp_path: Path) -> Path:
    """ "My name is" ... "Robert Jones.", each said whole, with a pause between them."""
    first, second = say("My name is", tmp_path / "a.wav"), say("Robert Jones.", tmp_path / "b.wav", pad_seconds=7)
    with wave.open(str(first)) as a, wave.open(str(second)) as b:
        params = a.getparams()
        pause = np.zeros(int(params.framerate * PAUSE_SECONDS), dtype=np.int16).tobytes()
        pcm = a.readframes(a.getnframes()) + pause + b.readframes(b.getnframes())
    out = tmp_path / "paused.wav"
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(pcm)
    return out


async def test_a_pause_after_my_name_is_waits_and_the_finished_sentence_ends_the_turn(nc: NATS, tmp_path: Path) -> None:
    words = TurnSettings(end_of_turn="text", eot_silence_ms=300, eot_max_silence_ms=MAX_SILENCE_MS)
    stt = WhisperLocal(TINY_EN, incremental=True)
    try:
        async with gateway(nc, turn_settings=words, stt=stt) as gw:
            result = await place_call(gw.ws_url, paused_speech(tmp_path), token=auth.mint(SECRET, ttl_seconds=60),
                                      tail_seconds=8)  # fmt: skip
    finally:
        stt.close()
    (turn,) = result.of_type("turn.ended")  # one turn: the pause inside it did not end it
    assert turn["speech_seconds"] > 1.0 + PAUSE_SECONDS
    (final,) = result.of_type("transcript.final")
    assert "name" in final["text"].lower() and "jones" in final["text"].lower()
    # the pause was decoded on its own ("My name is...": cannot end there) while the turn was open
    interims = [e["text"].lower() for e in result.of_type("transcript.interim")]
    assert any("name" in text and "jones" not in text for text in interims), interims
    (latency,) = result.of_type("turn.latency")
    # the decode of the finished sentence said "complete" after the short silence; without it, the maximum
    assert 0.3 <= latency["vad_wait_seconds"] < MAX_SILENCE_MS / 1000 - 0.5
