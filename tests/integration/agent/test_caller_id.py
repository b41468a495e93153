"""Caller ID in the dialog: the number a phone call came from is offered for the phone slot and
used only after the caller's yes (and the read-back's yes before anything is booked or texted)."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import Stage
from gateway.call_origin import Typing
from services.calendar.store import BookingRow
from services.sms.store import OutboxRow
from tests.integration.agent.test_dialog import rows, services
from tests.postgres import ONE_STORE
from verticals.real_estate import tools as real_estate_tools

pytestmark = [pytest.mark.usefixtures("store_env"), ONE_STORE, pytest.mark.slow]
CALLER_ID = "+17205550198"


def phone_agent(nc: NATS, caller_number: str | None, typing: Typing | None = "keypad") -> FrameDialog:
    tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
    return FrameDialog(AgentConfig.load("real_estate"), tools, "phone-call", caller_number=caller_number,
                       typing=typing)  # fmt: skip


async def _to_the_phone_question(a: FrameDialog) -> list[str]:
    await a.respond("I'm looking for a three bedroom house in Austin under seven hundred thousand")
    await a.respond("the second one")
    await a.respond("the first time is good")
    return await a.respond("My name is Grace Hopper")


async def test_a_yes_to_the_caller_id_number_is_read_back_then_booked_and_texted_there(nc: NATS) -> None:
    async with services(nc):
        a = phone_agent(nc, CALLER_ID)
        asked = await _to_the_phone_question(a)
        assert asked[-1] == "Shall I text the confirmation to the number you're calling from, ending in 0 1 9 8?"
        assert a.expecting == "yes_no" and not a.slots.phone  # the phone question, as a yes or no
        read_back = await a.respond("Yes, that's fine.")
        # The number is now a value like any other: read back whole, nothing booked or texted yet.
        stage = a.stage  # (a property: read afresh after each turn)
        assert a.slots.phone == CALLER_ID and stage is Stage.CONFIRM
        assert "7 2 0, 5 5 5, 0 1 9 8" in read_back[0] and read_back[-1] == "Shall I book it?", read_back
        assert await rows("calendar", BookingRow) == [] and await rows("sms", OutboxRow) == []
        done = await a.respond("yes")
    assert a.stage is Stage.DONE and done[0].startswith("You're booked"), done
    (booking,) = await rows("calendar", BookingRow)
    (sms,) = await rows("sms", OutboxRow)
    assert booking.contact_phone_e164 == CALLER_ID and sms.to_phone_e164 == CALLER_ID


async def test_a_no_to_the_caller_id_asks_for_the_number_and_never_uses_the_caller_id(nc: NATS) -> None:
    async with services(nc):
        a = phone_agent(nc, CALLER_ID)
        await _to_the_phone_question(a)
        asked = await a.respond("No, not that one.")
        assert not a.slots.phone and asked[-1] == "What's the best phone number to text your confirmation to?"
        # Keys pressed on the phone arrive as the digits themselves (gateway/link/phone/keypad.py).
        read_back = await a.respond("5125550134")
        assert a.slots.phone == "+15125550134" and "5 1 2, 5 5 5, 0 1 3 4" in read_back[0], read_back
        await a.respond("yes")
    (sms,) = await rows("sms", OutboxRow)
    assert sms.to_phone_e164 == "+15125550134"


async def test_another_number_said_instead_is_taken_and_no_offer_without_a_usable_caller_id(nc: NATS) -> None:
    async with services(nc):
        a = phone_agent(nc, CALLER_ID)
        await _to_the_phone_question(a)
        read_back = await a.respond("No, text five one two, five five five, zero one three four")
        assert a.slots.phone == "+15125550134" and a.stage is Stage.CONFIRM, read_back
        # Withheld, foreign (the phone slot holds US numbers) or not a real number: the usual question.
        for caller_number in (None, "+442071838750", "+15550000000"):
            asked = await _to_the_phone_question(phone_agent(nc, caller_number))
            assert asked[-1] == "What's the best phone number to text your confirmation to?", caller_number


async def test_a_number_not_heard_twice_is_typed_on_the_keypad_then_read_back_and_texted(nc: NATS) -> None:
    """A phone line where the number is misheard: the second asking offers the keypad, the third
    asks for it; the keys (their digits, as keypad.py hands them on) are read back like speech and
    used only after the yes. A caller with no keypad (WebRTC) is never told to type."""
    async with services(nc):
        a = phone_agent(nc, None)
        await _to_the_phone_question(a)
        again = await a.respond("five one two, five five")
        assert again[-1] == "Or type it on your keypad.", again
        keypad = await a.respond("five one two and the rest")
        assert keypad == ["Let's try the keypad: please type the number, with the area code, and then press pound."]
        assert await rows("sms", OutboxRow) == []
        read_back = await a.respond("5125550134")
        assert a.slots.phone == "+15125550134" and "5 1 2, 5 5 5, 0 1 3 4" in read_back[0], read_back
        await a.respond("yes")
        (sms,) = await rows("sms", OutboxRow)
        assert sms.to_phone_e164 == "+15125550134"
        web = phone_agent(nc, None, typing=None)
        await _to_the_phone_question(web)
        said = [*await web.respond("five one two, five five"), *await web.respond("five one two and the rest")]
        assert not any("keypad" in line or "type" in line for line in said), said
        # The web page's box: offered the same way, in words that fit a screen.
        page = phone_agent(nc, None, typing="text_box")
        await _to_the_phone_question(page)
        assert (await page.respond("five one two, five five"))[-1] == "Or type it in the box on your screen."
        typing = await page.respond("five one two and the rest")
        assert typing == ["Let's try typing it: please type the number, with the area code, in the box on your screen."]
        read_back = await page.respond("512-555-0134")
        assert page.slots.phone == "+15125550134" and "5 1 2, 5 5 5, 0 1 3 4" in read_back[0], read_back


async def test_a_number_cut_at_a_pause_between_groups_is_finished_by_the_next_turn(nc: NATS) -> None:
    """The caller paused after the area code and the turn ended there; their next turn is the rest
    of the number: the two make one number, read back whole before anything is sent to it."""
    async with services(nc):
        a = phone_agent(nc, None, typing=None)
        await _to_the_phone_question(a)
        await a.respond("five one two")
        read_back = await a.respond("five five five, zero one three four")
        assert a.slots.phone == "+15125550134" and "5 1 2, 5 5 5, 0 1 3 4" in read_back[0], read_back
        assert await rows("sms", OutboxRow) == []
        # Groups that do not make a number together are not forced into one.
        b = phone_agent(nc, None, typing=None)
        await _to_the_phone_question(b)
        await b.respond("five one two")
        await b.respond("five five five, zero one three")
        assert not b.slots.phone
