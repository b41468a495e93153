"""The dialog-contract checks every eval call gets (evals.contract), on synthetic call records:
writes only after a read-back of number and time answered yes, no question asked thrice."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from evals import contract, heard
from evals.record import CallRecord, TurnRecord
from evals.scenario import load_scenarios, scenario_dir
from evals.tap import BOOK, LEAD, SMS, ToolCall

CHICAGO = ZoneInfo("America/Chicago")
CLOCK = datetime(2026, 12, 7, 8, 0, tzinfo=CHICAGO)  # a Monday
SLOT = datetime(2026, 12, 7, 9, 30, tzinfo=CHICAGO)
PHONE = "+15125550134"


def call(lines: list[tuple[str, str]], tools: list[ToolCall], greeting: str = "Hi, how can I help?") -> CallRecord:
    record = CallRecord(call_id="c", mode="text", clock=CLOCK, greeting=[greeting])
    record.turns = [TurnRecord(i, said, [reply]) for i, (said, reply) in enumerate(lines, 1)]
    record.tool_calls = tools
    return record


def writes(turn: int, phone: str = PHONE, start: datetime = SLOT) -> list[ToolCall]:
    return [
        ToolCall(LEAD, turn, phone),
        ToolCall(BOOK, turn, phone, start.astimezone(UTC), "America/Chicago", "AUS00116"),
        ToolCall(SMS, turn, phone),
    ]


BEFORE = [
    ("three bed house in Austin", "I found 3 homes. Which one?"),
    ("the second one, monday at 9:30", "Monday at 9:30 is free. Your name?"),
    ("Ada Lovelace, 512 555 0134", "Monday the 7th at nine thirty AM, Ada, 512 555 0134. Shall I book it?"),
]


def test_a_read_back_answered_yes_allows_the_writes() -> None:
    record = call([*BEFORE, ("yes please", "You're booked. Anything else?")], writes(4))
    assert contract.breaches(record) == []


def test_writes_without_any_read_back_are_named_each() -> None:
    record = call([("house in Austin, the first one, monday 9:30, Ada, 5125550134", "You're booked.")], writes(1))
    found = contract.unconfirmed(record)
    assert [b.assertion for b in found] == ["confirmed.upsert_lead", "confirmed.book_showing", "confirmed.send_sms"]
    assert all("never read back" in b.actual for b in found)


def test_a_read_back_answered_no_does_not_confirm() -> None:
    record = call([*BEFORE, ("no, wait, it's 0143 at the end", "You're booked.")], writes(4))
    found = contract.unconfirmed(record)
    assert len(found) == 3 and "was answered" in found[0].actual


def test_writing_in_the_same_turn_as_the_read_back_is_not_confirmed() -> None:
    record = call(BEFORE, writes(3))
    assert len(contract.unconfirmed(record)) == 3


def test_a_text_to_another_number_than_the_one_read_back_is_caught() -> None:
    tools = [*writes(4)[:2], ToolCall(SMS, 4, "+15125550143")]
    record = call([*BEFORE, ("yes", "Booked.")], tools)
    (breach,) = contract.unconfirmed(record)
    assert breach.assertion == "confirmed.send_sms" and "512 555 0143" in breach.expected


def test_a_booking_at_another_time_than_the_one_read_back_is_caught() -> None:
    later = datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)
    record = call([*BEFORE, ("yes", "Booked.")], writes(4, start=later))
    assert {b.assertion for b in contract.unconfirmed(record)} == {
        "confirmed.book_showing", "confirmed.upsert_lead", "confirmed.send_sms",
    }  # fmt: skip
    # The number alone was read: the failure says so.
    assert "not with the time" in contract.unconfirmed(record)[0].actual


def test_the_latest_read_back_counts_after_a_correction() -> None:
    lines = [
        *BEFORE,
        ("no, it's 512 555 0143", "Monday December 7 at 9:30 AM, 5 1 2, 5 5 5, 0 1 4 3. Is that right?"),
        ("that's right", "Booked."),
    ]
    assert contract.unconfirmed(call(lines, writes(5, phone="+15125550143"))) == []
    # Booked right after the "no": the new number was never confirmed.
    assert len(contract.unconfirmed(call(lines[:4], writes(4, phone="+15125550143")))) == 3


def test_no_writes_no_breach() -> None:
    assert contract.unconfirmed(call(BEFORE, [])) == []


def test_a_question_asked_three_times_is_a_loop() -> None:
    ask = "Sorry. What day and time would suit you?"
    lines = [
        ("saturday morning", ask),
        ("saturday at ten", ask),
        ("saturday ten am", "Okay, what day and time would suit you?"),
    ]
    (breach,) = contract.repeated_questions(call(lines, []))
    assert breach.assertion == "no_loops" and "what day and time would suit you" in breach.actual
    assert "3 times" in breach.actual
    assert contract.repeated_questions(call(lines[:2], [])) == []  # twice is allowed


def test_a_repeat_the_caller_asked_for_is_not_counted() -> None:
    ask = "Which one would you like?"
    lines = [("a condo in Denver", ask), ("sorry, can you repeat that?", ask), ("come again?", ask)]
    assert contract.repeated_questions(call(lines, [])) == []


@pytest.mark.parametrize(
    ("text", "phone", "expected"),
    [
        ("I have 5 1 2, 5 5 5, 0 1 3 4. Is that right?", PHONE, True),
        ("five one two, double five five, oh one three four", PHONE, True),
        ("(512) 555-0134", PHONE, True),
        ("+1 512 555 0134", PHONE, True),
        ("512 555 013", PHONE, False),
        ("I have 5 1 2, 5 5, 0 1 3 4", PHONE, False),
        ("at 9 o'clock, 512 555 0134", PHONE, True),
    ],
)
def test_phone_digits_in_any_grouping(text: str, phone: str, expected: bool) -> None:
    assert heard.says_phone(text, phone) is expected


@pytest.mark.parametrize(
    ("text", "hour", "minute", "expected"),
    [
        ("Monday, December 7 at 9:30 AM", 9, 30, True),
        ("monday the 7th at nine thirty", 9, 30, True),
        ("Monday at half past nine", 9, 30, True),
        ("today at 9:30", 9, 30, True),
        ("Monday at 9:30 PM", 9, 30, False),
        ("Tuesday at 9:30", 9, 30, False),
        ("Monday at 9", 9, 30, False),
        ("Monday at 2", 14, 0, True),
        ("Monday at two o'clock", 14, 0, True),
        ("Monday at 2 PM", 14, 0, True),
        ("Monday at 2 AM", 14, 0, False),
        ("Monday at 2:30", 14, 0, False),
        ("Monday at two thirty", 14, 0, False),
        ("Monday at noon", 12, 0, True),
        ("Monday at a quarter to ten", 9, 45, True),
        ("on the seventh, two in the afternoon", 14, 0, True),
        ("Monday, two in the morning", 14, 0, False),
        ("on the eighth at two", 14, 0, False),
    ],
)
def test_a_time_in_words(text: str, hour: int, minute: int, expected: bool) -> None:
    when = datetime(2026, 12, 7, hour, minute, tzinfo=CHICAGO)
    assert heard.says_time(text, when, CLOCK) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True), ("Yeah, that's right.", True), ("sure, go ahead", True), ("correct", True),
        ("no", False), ("no, it's 555 0143", False), ("yes but make it Tuesday", False),
        ("actually, Tuesday at 3", False), ("the first one", False), ("that's not right", False),
    ],
)  # fmt: skip
def test_a_plain_yes(text: str, expected: bool) -> None:
    assert heard.is_yes(text) is expected


def test_questions_are_normalised() -> None:
    assert heard.questions("Thanks, Ada. What's the best number to text? Got it.") == ["what's the best number to text"]
    assert heard.questions("Okay, which one?") == heard.questions("which one?")


CONTRACT_SCENARIOS = ("mixed-", "when-", "around-", "confirm-", "number-")


def test_every_contract_scenario_asserts_booking_lead_and_text() -> None:
    """The scenarios written from the dialog contract each say what must (or must not) be written."""
    found = [
        s for s in load_scenarios(scenario_dir("real_estate"), "real_estate") if s.name.startswith(CONTRACT_SCENARIOS)
    ]
    assert len(found) >= 25
    for s in found:
        booking, lead, sms = s.expect.get("booking"), s.expect.get("lead"), s.expect.get("sms")
        assert booking and lead and sms, s.name
        if booking["exists"]:  # a booking at the time and for the number the persona agreed to
            assert ("local_time" in booking or "within" in booking) and ("phone" in lead or "phone" in booking), s.name
            assert sms["sent"] and "to" in sms, s.name
        else:
            assert not lead["exists"] and not sms["sent"], s.name
        assert not s.known_failure, s.name  # the stranger's test: never weakened to pass


def test_which_one_after_other_homes_were_read_out_is_a_new_question() -> None:
    read = "I found 2 homes. First: {} in Denver, for 500 thousand. Second: {} in Denver, for 600 thousand."
    first = read.format("12 Maple St", "9 Oak Ave") + " Which one would you like to see?"
    other = read.format("3 Pine Ct", "7 Elm Rd") + " Which one would you like to see?"
    lines = [
        ("a condo in Denver", first),
        ("too small", other),
        ("bigger please", first.replace("12 Maple", "4 Birch")),
    ]
    assert contract.repeated_questions(call(lines, [])) == []
    same = [("a condo in Denver", first), ("hm", first), ("what", first)]
    assert len(contract.repeated_questions(call(same, []))) == 1  # the same homes, asked a third time


def test_a_read_back_of_corrected_details_is_a_new_question() -> None:
    read = "Let me read that back: a showing of 12 Maple St on Monday at 9:30 AM for {}, text to 512-555-0134."
    again = "Sorry, I need a yes or a no: a showing of 12 Maple St on Monday at 9:30 AM for {}, text to 512-555-0134."
    corrected = [
        ("Ada Lovelace", read.format("Ada Lovelace") + " Shall I book it?"),
        ("no, my name is Adah", read.format("Adah Lovelace") + " Is that right? Shall I book it?"),
        ("no, A D A", read.format("Ada Lovelace").replace("Lovelace", "Lovelace Smith") + " Shall I book it?"),
    ]
    assert contract.repeated_questions(call(corrected, [])) == []
    unchanged = [
        ("Ada Lovelace", read.format("Ada Lovelace") + " Shall I book it?"),
        ("hmm", again.format("Ada Lovelace") + " Shall I book it?"),
        ("well", again.format("Ada Lovelace") + " Shall I book it?"),
    ]
    (breach,) = contract.repeated_questions(call(unchanged, []))
    assert "shall i book it" in breach.actual and "3 times" in breach.actual


def test_which_works_after_other_times_were_offered_is_a_new_question() -> None:
    offer = "I can do Monday the 7th at {}. Which works for you?"
    lines = [("Monday", offer.format("9, 9:30 or 10 AM")), ("no", offer.format("1, 2 or 3 PM")),
             ("later", offer.format("4 or 4:30 PM"))]  # fmt: skip
    assert contract.repeated_questions(call(lines, [])) == []
    same = [
        ("Monday", offer.format("9 or 10 AM")),
        ("hm", offer.format("9 or 10 AM")),
        ("what", offer.format("9 or 10 AM")),
    ]
    assert len(contract.repeated_questions(call(same, []))) == 1
    example = "Which day and time would suit you? For example, Thursday at 10 AM."
    asked = [("hi", "Which day and time would suit you?"), ("um", example), ("er", example)]
    assert len(contract.repeated_questions(call(asked, []))) == 1  # an example after the question changes nothing
