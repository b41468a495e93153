"""A turn heard again only when its first hearing does not answer the question
(gateway/providers/stt/second_hearing.py), and whisper by slot's use of it, with stand-in hearers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gateway.media.pcm import Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.second_hearing import heard_again

AUDIO = np.zeros(2 * 16_000, dtype=np.int16)  # two seconds


def has_a_weekday(text: str) -> bool:
    return any(day in text.lower() for day in ("monday", "tuesday", "wednesday", "thursday", "friday"))


WHEN = SpeechContext("time", answers=has_a_weekday)


class Hearer:
    """Gives the same hearings for every turn and counts how often it was asked."""

    def __init__(self, *hearings: str) -> None:
        self.hearings, self.asked = list(hearings), 0

    def __call__(self, audio: Pcm, context: SpeechContext) -> Sequence[str]:
        self.asked += 1
        return self.hearings


def first(text: str) -> Transcript:
    return Transcript(text=text, confidence=0.4, seconds=0.2)


def test_a_first_hearing_that_answers_is_not_heard_again() -> None:
    again = Hearer("Friday at noon")
    heard = heard_again(first("Tuesday at noon"), AUDIO, WHEN, [again])
    assert heard == first("Tuesday at noon") and again.asked == 0


def test_without_a_check_or_with_nobody_heard_nothing_is_heard_again() -> None:
    again = Hearer("Friday at noon")
    assert heard_again(first("the lab"), AUDIO, NO_CONTEXT, [again]).alternatives == ()
    assert heard_again(first("  "), AUDIO, WHEN, [again]).alternatives == ()
    assert again.asked == 0


def test_the_hearers_are_asked_in_order_until_a_hearing_answers() -> None:
    cheap, dear = Hearer("when is the lab", "Wednesday at two", "Wednesday at two"), Hearer("Thursday at two")
    heard = heard_again(first("when is the lab"), AUDIO, WHEN, [cheap, dear])
    assert heard.text == "when is the lab" and heard.alternatives == ("Wednesday at two",)
    assert (cheap.asked, dear.asked) == (1, 0)
    nothing = Hearer("the lab", "")
    heard = heard_again(first("when is the lab"), AUDIO, WHEN, [nothing, dear])
    assert heard.alternatives == ("the lab", "Thursday at two") and dear.asked == 1
    assert heard.seconds >= 0.2


class Whisper:
    """A whisper model stand-in: one text per turn, and its beams."""

    def __init__(self, text: str, *beams: str) -> None:
        self.text, self.beams, self.beamed = text, list(beams), 0
        self.prompts: list[str | None] = []

    def transcribe_now(self, audio: object, context: SpeechContext = NO_CONTEXT) -> Transcript:
        return first(self.text)

    def hearings(self, audio: object, initial_prompt: str | None, beams: int = 5) -> list[str]:
        self.beamed += 1
        self.prompts.append(initial_prompt)
        return self.beams

    def close(self) -> None:
        return None


def test_by_slot_hears_a_turn_that_does_not_answer_again_with_tiny_then_base() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    small, precise = Whisper("to use that for", "to use that for the end"), Whisper("x", "Tuesday at four")
    stt.small, stt.precise = small, precise  # type: ignore[assignment]
    try:
        heard = stt.transcribe_now(AUDIO, WHEN)
        assert heard.text == "to use that for" and heard.alternatives == ("to use that for the end", "Tuesday at four")
        assert (small.beamed, precise.beamed) == (1, 1)
        assert "Tuesday" in (small.prompts[0] or "") and precise.prompts == [None]  # the time's words: tiny only
        small.text = "Monday at four"
        assert stt.transcribe_now(AUDIO, WHEN).alternatives == () and small.beamed == 1
        small.text = "to use that for"
        assert stt.transcribe_now(AUDIO, SpeechContext("time")).alternatives == ()  # no check given: as before
    finally:
        stt.close()


def test_a_turn_that_is_not_about_a_time_is_heard_again_by_base_alone() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    small, precise = Whisper("touch on"), Whisper("x", "touch on", "Tucson")
    stt.small, stt.precise = small, precise  # type: ignore[assignment]
    try:
        city = SpeechContext("city", ("Austin", "Tucson"), answers=lambda text: "Tucson" in text)
        assert stt.transcribe_now(AUDIO, city).alternatives == ("Tucson",)
        assert small.beamed == 0 and precise.prompts == ["Austin, Tucson."]  # today's city prompt
    finally:
        stt.close()


def test_a_decode_that_ran_away_is_no_hearing() -> None:
    looping = "Monday, Tuesday, " + "Monday, " * 40
    again = Hearer(looping, "Monday at noon")
    heard = heard_again(first("my bad food"), AUDIO, WHEN, [again])
    assert heard.alternatives == ("Monday at noon",)
    one_second = AUDIO[:16_000]
    assert heard_again(first("my bad"), one_second, WHEN, [Hearer("Monday " + "at noon " * 3)]).alternatives == ()


def test_a_yes_or_no_is_heard_by_base_too_and_its_hearing_joins_the_runners_up() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    small, precise = Whisper("Not right."), Whisper("That's right.")
    stt.small, stt.precise = small, precise  # type: ignore[assignment]
    try:
        yes_no = SpeechContext("yes_no", answers=lambda text: "right" in text.lower())
        assert stt.transcribe_now(AUDIO, yes_no).alternatives == ("That's right.",)
        precise.text = "Not right."  # the two agree: nothing to add
        assert stt.transcribe_now(AUDIO, yes_no).alternatives == ()
        assert stt.transcribe_now(AUDIO, SpeechContext("name")).alternatives == ()  # other slots: tiny.en alone
    finally:
        stt.close()


def test_the_dialogs_words_for_the_answer_prompt_tiny_ens_second_hearing() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    small, precise = Whisper("the one on men only", "the one on Magnolia"), Whisper("x", "the one on Magnolia")
    stt.small, stt.precise = small, precise  # type: ignore[assignment]
    try:
        streets = "Magnolia Dr, Cedar St. The first one, the second one."
        which = SpeechContext("listing", answer_words=streets, answers=lambda text: "Magnolia" in text)
        assert stt.transcribe_now(AUDIO, which).alternatives == ("the one on Magnolia",)
        assert small.prompts == [streets] and precise.beamed == 0  # tiny.en's beams answered: base not asked
        stt.transcribe_now(AUDIO, SpeechContext("listing", answers=lambda text: "Magnolia" in text))
        assert small.prompts == [streets] and precise.beamed == 1  # no words: base's beams alone, as before
    finally:
        stt.close()
