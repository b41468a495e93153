"""The confirmation rule the LLM engines share with the dialog: a number is used only after the
caller said yes to its read-back; a booking or a lead only after the caller's yes."""

from __future__ import annotations

from gateway.agent.consent import Consent
from gateway.agent.tool_policy import refusal
from verticals.real_estate.tools import BOOK_SHOWING, SEARCH_LISTINGS, SEND_SMS, WRITE_LEAD

SMS = {"to_phone": "+15125550134", "template_id": "showing_confirmation"}


def test_a_number_the_caller_only_said_is_not_confirmed() -> None:
    consent = Consent()
    consent.agent_said("What number should I text?")
    consent.caller_said("five one two, five five five, zero one three four")
    assert not consent.phone_confirmed("+15125550134")
    assert "not confirmed" in refusal(SEND_SMS, SMS, consent)


def test_a_yes_to_the_read_back_confirms_that_number_only() -> None:
    consent = Consent()
    consent.agent_said("Let me read that back: 5 1 2, 5 5 5, 0 1 3 4. Shall I book it?")
    consent.caller_said("yes please")
    assert consent.phone_confirmed("(512) 555-0134") and consent.agreed
    assert refusal(SEND_SMS, SMS, consent) == ""
    assert "not confirmed" in refusal(SEND_SMS, {**SMS, "to_phone": "+15125550199"}, consent)
    assert refusal(WRITE_LEAD, {"phone": "+15125550134"}, consent) == ""


def test_no_or_a_correction_confirms_nothing() -> None:
    for answer in ("no, it's 5 1 2 5 5 5 0 1 9 9", "nope", "hmm, wait"):
        consent = Consent()
        consent.agent_said("That's 5 1 2, 5 5 5, 0 1 3 4. Is that right?")
        consent.caller_said(answer)
        assert not consent.phone_confirmed("+15125550134") and not consent.agreed, answer


def test_a_yes_that_answered_no_question_is_no_agreement() -> None:
    consent = Consent()
    consent.agent_said("I found three homes. The first is 1 Main St.")
    consent.caller_said("yes")
    assert not consent.agreed
    assert "not agreed" in refusal(BOOK_SHOWING, {"start_time": "2026-12-07T09:00:00-06:00"}, consent)
    assert refusal(SEARCH_LISTINGS, {"city": "Austin"}, consent) == ""  # reading needs no consent


def test_agreement_lasts_for_the_turn_only() -> None:
    consent = Consent()
    consent.agent_said("Friday at 2 PM for Ada at 5 1 2, 5 5 5, 0 1 3 4. Shall I book it?")
    consent.caller_said("yes")
    consent.caller_said("yes")  # the same turn heard again (a provider's transcript): still the same yes
    assert consent.agreed
    consent.agent_said("You're booked. Anything else?")
    consent.caller_said("can you also book Saturday?")
    assert not consent.agreed and consent.phone_confirmed("+15125550134")


def test_the_caller_id_is_confirmed_by_a_yes_to_its_offer_only() -> None:
    caller_id = "+17205550198"
    for question, answer, confirmed in (
        ("Shall I text the number you're calling from, ending in zero one nine eight?", "yes", True),
        ("Shall I text the number you're calling from, ending in 0198?", "no thanks", False),
        ("Shall I text the number ending in 0 1 9 9?", "yes", False),  # not its ending
        ("Would you like a showing at 1 9 8 Main Street?", "yes", False),  # no number offered
    ):
        consent = Consent(caller_id)
        consent.agent_said(question)
        consent.caller_said(answer)
        assert consent.phone_confirmed(caller_id) is confirmed, question
    withheld = Consent("anonymous")  # no usable caller ID: nothing to confirm by its ending
    withheld.agent_said("Shall I text the number you're calling from, ending in 0 1 9 8?")
    withheld.caller_said("yes")
    assert withheld.confirmed_phones == set()
