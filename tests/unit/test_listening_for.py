"""What the agent just asked reaches the speech recogniser: the agent responder turns the
engine's expected slot into the STT's SpeechContext (digits after "your number?", the agent's
cities only when it asks where to look)."""

from __future__ import annotations

from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine
from gateway.agent.responder import AgentResponder
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import EchoResponder
from tests.unit.fake_tools import FakeTools
from tests.unit.test_frame_dialog import MONDAY_8AM


class Silent:
    """A TTS the responder never needs here."""

    async def synthesize(self, text: str) -> object:
        raise AssertionError("nothing is spoken in this test")


def responder() -> tuple[AgentResponder, FrameDialog]:
    config = AgentConfig.load("real_estate")
    dialog = FrameDialog(config, FakeTools(MONDAY_8AM), "unit", clock=lambda: MONDAY_8AM)
    return AgentResponder(DialogEngine(dialog), Silent(), cities=tuple(config.cities)), dialog  # type: ignore[arg-type]


async def test_the_stt_is_told_the_slot_the_dialog_asks_for_and_cities_only_for_a_city() -> None:
    agent, dialog = responder()
    dialog.greeting()
    first = agent.listening_for()
    assert first.slot == "city" and "Austin" in first.phrases and "Minneapolis" in first.phrases
    await dialog.respond("a three bedroom in Austin under seven hundred thousand")
    which = agent.listening_for()  # no cities; the streets read out, for hearing the answer again
    streets = [m["address"]["street"] for m in dialog.frame.matches]
    assert (which.slot, which.phrases) == ("listing", ()) and all(s in (which.answer_words or "") for s in streets)
    await dialog.respond("the second one")
    await dialog.respond("the first time works")
    await dialog.respond("it's Ada Lovelace")
    assert agent.listening_for() == SpeechContext("phone")  # no city list copied into a number


def test_an_engine_that_expects_nothing_leaves_the_stt_as_it_was() -> None:
    assert EchoResponder().listening_for() == NO_CONTEXT


async def test_the_stt_gets_the_dialogs_check_of_an_answer_even_for_a_question_with_no_slot() -> None:
    agent, dialog = responder()
    dialog.greeting()
    city = agent.listening_for()
    assert city.answers is not None and city.answers("maybe Tucson") and not city.answers("touch on")
    await dialog.respond("a house in Austin")
    await dialog.respond("no")  # none of these: "what should I look for instead?"
    criteria = agent.listening_for()
    assert criteria.slot is None and criteria.answers is not None
    assert criteria.answers("two bedrooms") and not criteria.answers("the bad rooms, please")
    await dialog.respond("a condo with three bedrooms")
    await dialog.respond("the first one")
    await dialog.respond("Friday at 10")
    assert agent.listening_for().answers is None  # the name: left to the top hearing
