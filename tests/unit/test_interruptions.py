"""Which caller speech during the agent's reply is a backchannel, and its settings."""

from __future__ import annotations

import pytest

from gateway.interruptions import InterruptionSettings, is_backchannel, normalise
from gateway.turns import TurnSettings

S = InterruptionSettings()


@pytest.mark.parametrize("text", ["Uh-huh.", "Mm-hmm.", "mhm", "M-M-M-M.", "Hmmmm", "Okay.", "okay, okay",
                                  "Yeah, right.", "I see.", "", "[coughs]", "(clears throat)", " ... "])  # fmt: skip
def test_backchannels_and_noise_do_not_interrupt(text: str) -> None:
    assert is_backchannel(text, 0.5, S)


@pytest.mark.parametrize("text", ["No.", "Stop.", "Wait.", "Yes.", "okay but in Dallas", "I see a problem"])
def test_words_that_take_the_floor_interrupt(text: str) -> None:
    assert not is_backchannel(text, 0.5, S)


def test_long_speech_interrupts_whatever_it_says_and_without_an_stt_length_decides() -> None:
    assert is_backchannel("Oh, okay.", 1.2, S) and not is_backchannel("okay okay okay okay", 1.6, S)
    assert is_backchannel(None, 0.7, S) and not is_backchannel(None, 0.8, S)  # half the limit


def test_settings_come_from_the_environment() -> None:
    env = {"VOICEPOD_RESUME_AFTER_BACKCHANNEL": "0", "VOICEPOD_BACKCHANNEL_MAX_MS": "800",
           "VOICEPOD_FALSE_INTERRUPTION_WINDOW_MS": "2000",
           "VOICEPOD_BACKCHANNEL_WORDS": "Gotcha, you bet"}  # fmt: skip
    s = TurnSettings.from_env(env).interruptions
    assert (s.resume, s.backchannel_max_ms, s.window_ms) == (False, 800, 2000)
    assert is_backchannel("Gotcha!", 0.5, s) and is_backchannel("You bet.", 0.5, s)
    assert TurnSettings.from_env({}).interruptions == InterruptionSettings()
    with pytest.raises(ValueError, match="VOICEPOD_BACKCHANNEL_MAX_MS"):
        InterruptionSettings(backchannel_max_ms=3000, window_ms=2000)
    assert normalise("Uh-HUH!  [laughs] OK") == "uhhuh ok"
