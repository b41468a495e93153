"""Silero VAD streaming, and the quiet gate that spares the model windows of near-silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from caller.wav import read_wav
from gateway.media.pcm import IN_FRAME, IN_RATE, resample
from gateway.media.phone_audio import PHONE_FRAME, PHONE_RATE, PhoneIn
from gateway.media.vad import RESET_AFTER_QUIET, WINDOW, VadStream, quiet_state
from gateway.turns import SpeechStarted, TurnDetector, TurnEnded, TurnEvent, TurnSettings
from tests.speech import say


def _speech(tmp_path: Path) -> np.ndarray:
    wav = say("I am looking for a three bedroom house in Austin with a pool.", tmp_path / "s.wav")
    return resample(read_wav(wav), 48_000, IN_RATE)


def _noise(seconds: float, dbfs: float) -> np.ndarray:
    rms = 32768 * 10 ** (dbfs / 20)
    return np.random.default_rng(7).normal(0, rms, int(seconds * IN_RATE)).astype(np.int16)


def _run(vad: VadStream, pcm: np.ndarray) -> list[float]:
    return [vad.push(pcm[i : i + IN_FRAME]) for i in range(0, len(pcm) - IN_FRAME + 1, IN_FRAME)]


def test_speech_is_heard_and_silence_around_it_costs_no_inference(tmp_path: Path) -> None:
    speech = _speech(tmp_path)
    vad = VadStream()
    before = _run(vad, np.zeros(IN_RATE, dtype=np.int16))  # a listening caller: digital silence
    assert vad.inferences == 0 and max(before) == 0.0
    during = _run(vad, speech)
    assert max(during) > 0.9
    ran = vad.inferences
    after = _run(vad, _noise(2.0, -70))  # a muted line's hiss, well below speech
    assert vad.inferences == ran and after[-1] == 0.0


def test_speech_after_a_long_quiet_is_heard_from_a_fresh_start(tmp_path: Path) -> None:
    speech = _speech(tmp_path)
    vad = VadStream()
    _run(vad, speech)
    _run(vad, np.zeros(WINDOW * (RESET_AFTER_QUIET + 4), dtype=np.int16))
    again = _run(vad, speech)
    assert max(again) > 0.9


def test_a_noisy_line_above_the_gate_still_goes_through_the_model() -> None:
    vad = VadStream()
    probabilities = _run(vad, _noise(1.0, -45))  # a loud room: the model, not the gate, decides
    assert vad.inferences >= IN_RATE // WINDOW - 1
    assert max(probabilities) < 0.5  # white noise is not speech


# Piper's joe voice saying "yes" as the audio eval's phone caller says it (caller/twilio_line.py
# to_mulaw: 16 kHz -> 8 kHz G.711 μ-law), one synthesis of it that the VAD found hard.
YES_ON_A_PHONE_LINE = Path(__file__).parent / "audio" / "yes_8k.ulaw"
MULAW_QUIET = b"\xff"  # μ-law's zero: a phone bridge's silence


def _turns_on_a_phone_line(line: bytes) -> list[tuple[int, TurnEvent]]:
    """The caller's side of a phone call as the gateway hears it: 20 ms μ-law frames -> PhoneIn ->
    VadStream -> TurnDetector (the agent not speaking); the events with the line's byte they came at."""
    phone, vad, detector = PhoneIn(), VadStream(), TurnDetector(TurnSettings())
    events = []
    for i in range(0, len(line) - PHONE_FRAME + 1, PHONE_FRAME):
        for frame in phone.frames(line[i : i + PHONE_FRAME]):
            if (event := detector.feed(frame, vad.push(frame), agent_speaking=False)) is not None:
                events.append((i, event))
    return events


@pytest.mark.parametrize("offset", range(0, PHONE_FRAME, 16))  # where in a 20 ms frame the word starts
def test_a_short_yes_on_a_phone_line_after_a_quiet_is_a_turn(offset: int) -> None:
    """A caller's "yes" to "Shall I book it?": after seconds of quiet (the read-back), a short word in
    8 kHz μ-law. The model started afresh from zeros, its first windows unsure of it (0.4-0.7): at
    some offsets it was never likely for the onset's 100 ms, no turn, and the agent asked "Are you
    still there?" (over WebRTC, wideband, the same word is sure from its first window)."""
    yes = YES_ON_A_PHONE_LINE.read_bytes()
    whole = yes + MULAW_QUIET * (-len(yes) % PHONE_FRAME)  # in whole frames: the same offsets after it
    earlier = MULAW_QUIET * PHONE_RATE + whole  # the caller spoke before (or not: the call's start, below)
    again = MULAW_QUIET * (3 * PHONE_RATE + offset)
    for before in (earlier, b""):
        line = before + again + yes + MULAW_QUIET * (2 * PHONE_RATE)
        said_at = len(before) + len(again)
        heard = [type(e) for i, e in _turns_on_a_phone_line(line) if i >= said_at]
        assert heard == [SpeechStarted, TurnEnded], ("after speech" if before else "at the call's start", heard)


def test_the_model_starts_afresh_from_what_a_short_silence_leaves_it() -> None:
    """Not from zeros (unsure at a word's start), nor from minutes of silence run through the model."""
    vad = VadStream()
    h, c = quiet_state(vad._session)
    assert np.abs(c).max() > 0.0  # not zeros
    assert quiet_state(vad._session)[0] is h  # computed once per session
    vad.push(_noise(0.5, -30))
    vad.push(np.zeros(WINDOW * (RESET_AFTER_QUIET + 1), dtype=np.int16))  # (+1: the window the noise ended in)
    assert np.array_equal(vad._h, h) and np.array_equal(vad._c, c)
