"""The words-so-far judge (VOICEPOD_END_OF_TURN=text): general English endings, the dialog's
expectation, and the settings that choose it. Phrases here are not the benchmark's."""

from __future__ import annotations

import pytest

from gateway.providers.settings import ProviderSettings
from gateway.text_end_of_turn import judge_words, text_turns_problem


@pytest.mark.parametrize(
    "text",
    [
        "Could I get a copy of the",  # article
        "I'm calling about",  # preposition
        "She wants to talk to",
        "Two adults and",  # conjunction
        "We could do Monday or",
        "Honestly I think it's",  # contraction: subject and verb, no complement
        "I'm",
        "So, uh",  # filler
        "The price was one point",  # a number still being said
        "The street address is",  # a linking verb after a noun
        "Our budget was",
        "Let me think...",  # the STT heard it trail off
        "",  # nothing heard yet
        "   ",
    ],
)
def test_an_utterance_cannot_end_here(text: str) -> None:
    verdict = judge_words(text)
    assert not verdict.complete, verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "Please cancel my appointment.",
        "Yes it is.",  # a linking verb after a pronoun ends a sentence
        "That's where we are.",
        "Hold on.",  # a phrasal verb, not a stranded preposition
        "Okay, come in.",
        "No.",
        "Twelve o'clock works for me.",
        "It costs about two hundred dollars",
        "call me at 512 555 0134",  # ten digits, and no phone number asked for: still only words
    ],
)
def test_these_can_end_an_utterance(text: str) -> None:
    verdict = judge_words(text)
    assert verdict.complete, verdict.reason


def test_the_reason_names_the_word() -> None:
    assert judge_words("a ticket for").reason == "ends on 'for' (a preposition)"
    assert "contraction" in judge_words("I think we're").reason


def test_a_phone_number_with_fewer_than_ten_digits_is_still_being_said_when_one_was_asked_for() -> None:
    assert not judge_words("It's 303 448", "phone").complete
    assert "6 digits" in judge_words("It's 303 448", "phone").reason
    assert not judge_words("three oh three, four four eight", "phone").complete
    assert judge_words("It's 303 448 2291", "phone").complete
    assert judge_words("three oh three four four eight two two nine one", "phone").complete
    # the same six digits where no number was asked for: nothing says more is coming
    assert judge_words("It's 303 448").complete
    # no digits yet: the words decide ("sure, it's" is a contraction, "sure thing" may end)
    assert not judge_words("Sure, it's", "phone").complete
    assert judge_words("Sure thing.", "phone").complete


def test_an_email_address_with_no_at_yet_is_still_being_said_when_one_was_asked_for() -> None:
    assert not judge_words("it's lee.wong", "email").complete
    assert judge_words("it's lee.wong@fastmail.com", "email").complete
    assert judge_words("lee dot wong at fastmail dot com", "email").complete
    assert not judge_words("lee dot wong at fastmail dot", "email").complete  # a joining word last
    assert judge_words("it's lee.wong").complete  # not asked for an address


def test_text_turns_need_whisper_decoding_while_the_caller_speaks() -> None:
    assert text_turns_problem("whisper", True) is None
    assert "VOICEPOD_STT_INCREMENTAL=on" in (text_turns_problem("whisper", False) or "")
    assert "VOICEPOD_STT='deepgram'" in (text_turns_problem("deepgram", True) or "")


def test_the_text_end_of_turn_turns_incremental_stt_on_unless_told_otherwise() -> None:
    assert ProviderSettings.from_env({}).stt_incremental  # the default
    assert ProviderSettings.from_env({"VOICEPOD_END_OF_TURN": "text"}).stt_incremental
    assert not ProviderSettings.from_env({"VOICEPOD_STT_INCREMENTAL": "off"}).stt_incremental
    told = ProviderSettings.from_env({"VOICEPOD_END_OF_TURN": "text", "VOICEPOD_STT_INCREMENTAL": "off"})
    assert not told.stt_incremental  # said explicitly: kept, and refused at start (text_turns_problem)
