"""Where a reply is cut for speech: the first sentence at a phrase boundary, never inside a number,
and the rest as whole sentences."""

from __future__ import annotations

import pytest

from gateway.agent.phrases import GROWTH, Piece, ReplyCutter, spoken_length


def texts(cut: list[Piece]) -> list[str]:
    return [p.text for p in cut]


def first_phrase(sentence: str) -> list[Piece]:
    """The reply's first sentence as it is cut."""
    return ReplyCutter().cut(sentence)


def reply(*lines: str) -> list[list[str]]:
    cutter = ReplyCutter()
    return [texts(cutter.cut(line)) for line in lines]


def test_the_first_sentence_is_cut_after_its_first_clause() -> None:
    line = "Let me read that back: a showing of 4060 Meadow Rd on Monday the 7th at 9:30 AM for Ada Lovelace."
    head, tail = first_phrase(line)
    assert (head.text, head.say, head.cut) == ("Let me read that back:", "Let me read that back:", True)
    assert tail == Piece("a showing of 4060 Meadow Rd on Monday the 7th at 9:30 AM for Ada Lovelace.",
                         "a showing of 4060 Meadow Rd on Monday the 7th at 9:30 AM for Ada Lovelace.")  # fmt: skip


def test_a_long_sentence_without_punctuation_is_cut_before_a_preposition_with_a_spoken_comma() -> None:
    head, tail = first_phrase("You're booked to see 957 Oak Pl on Monday the 7th at 9 AM.")
    assert head == Piece("You're booked", "You're booked,", cut=True)
    assert tail.text == "to see 957 Oak Pl on Monday the 7th at 9 AM."


def test_of_two_places_before_a_preposition_the_later_one_within_reach() -> None:
    assert texts(first_phrase("The confirmation goes by text to 5 1 2, 5 5 5, 0 1 3 4 tonight.")) == [
        "The confirmation goes by text", "to 5 1 2, 5 5 5, 0 1 3 4 tonight."
    ]  # fmt: skip


def test_a_street_number_said_in_words_makes_a_short_line_long_enough_to_cut() -> None:
    assert texts(first_phrase("Great, 4060 Meadow Rd.")) == ["Great,", "4060 Meadow Rd."]


def test_a_conjunction_is_a_better_cut_than_an_earlier_preposition() -> None:
    assert texts(first_phrase("It has a big yard and three bedrooms near the park, with a pool.")) == [
        "It has a big yard", "and three bedrooms near the park, with a pool."
    ]  # fmt: skip


def test_a_dash_stays_with_the_head() -> None:
    cut = first_phrase("Monday the 7th at 9 AM — let me check.")
    assert texts(cut) == ["Monday the 7th at 9 AM —", "let me check."]


@pytest.mark.parametrize(
    "sentence",
    ["Which city are you looking in?", "I found 3 homes.", "Great, 12 Elm St.", "Thanks for calling, Ada!"],
)
def test_short_sentences_stay_whole(sentence: str) -> None:
    assert first_phrase(sentence) == [Piece(sentence, sentence)]


@pytest.mark.parametrize(
    ("sentence", "whole"),
    [
        ("It is listed at $650,000 and has three bedrooms near the park.", "$650,000"),
        ("The confirmation goes by text to 5 1 2, 5 5 5, 0 1 3 4 tonight.", "5 1 2, 5 5 5, 0 1 3 4"),
        ("Your number is five one two, five five five, zero one three four, right?",
         "five one two, five five five, zero one three four"),
        ("The asking price is two hundred and fifty thousand dollars for this one.", "two hundred and fifty thousand"),
        ("I can do Monday the 7th at 9, 9:30 or 10 AM if that works.", "9, 9:30 or 10 AM"),
        ("It has 3 to 4 bedrooms and a yard with an oak tree.", "3 to 4 bedrooms"),
        ("A showing at 2:30 PM, the 8th, is free if you like.", "2:30 PM"),
    ],
)  # fmt: skip
def test_no_cut_falls_inside_a_number(sentence: str, whole: str) -> None:
    cut = first_phrase(sentence)
    assert " ".join(texts(cut)) == sentence
    assert any(whole in piece.text for piece in cut), texts(cut)


def test_after_the_first_phrase_the_reply_goes_on_in_whole_sentences() -> None:
    assert reply("I'm sorry, I couldn't search the listings. Could you try again, in a minute or two?",
                 "Or tell me another city, and I'll look there.") == [
        ["I'm sorry,", "I couldn't search the listings.", "Could you try again, in a minute or two?"],
        ["Or tell me another city, and I'll look there."],
    ]  # fmt: skip


def test_a_long_sentence_after_a_short_one_is_cut_where_its_synthesis_can_keep_up() -> None:
    said = reply("Thanks, Dee.", "Let me read that back: a showing of 3746 Magnolia Ave on Thursday the 10th at "
                 "11 AM for Dee Brown, and the confirmation goes by text to 5 1 2, 5 5 5, 0 1 3 4.")  # fmt: skip
    assert said == [["Thanks, Dee."], [
        "Let me read that back:",
        "a showing of 3746 Magnolia Ave on Thursday the 10th at 11 AM for Dee Brown,",
        "and the confirmation goes by text to 5 1 2, 5 5 5, 0 1 3 4.",
    ]]  # fmt: skip


def test_each_piece_is_at_most_growth_times_the_one_before_when_a_pause_allows() -> None:
    line = ("First: 1114 Canyon St in Raleigh, three bedrooms, 2 baths, a big yard, a new roof, close to the "
            "schools, for 429 thousand dollars.")  # fmt: skip
    intro = "Great, that is a lovely one."
    cut = reply(intro, line)[1]
    assert " ".join(cut) == line and len(cut) > 1
    for before, piece in zip([intro, *cut], cut, strict=False):
        assert spoken_length(piece) <= GROWTH * spoken_length(before)


def test_pieces_put_back_together_are_the_line() -> None:
    line = "First: 1114 Canyon St in Raleigh, three bedrooms, 2 baths, for 429 thousand. Which one? St. Louis too."
    for lines in ([line], ["Hi.", line], ["A much longer first sentence to start with, as you see.", line]):
        assert [" ".join(cut) for cut in reply(*lines)] == lines


def test_an_empty_line_has_no_pieces() -> None:
    assert ReplyCutter().cut("  ") == []
