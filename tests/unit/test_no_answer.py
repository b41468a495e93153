"""The agent's words after a caller's silence: are you still there, with the question the dialog
asked again; past two silences in a row, goodbye (and the responder reports the call ended)."""

from __future__ import annotations

import pytest

from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine
from gateway.agent.responder import AgentResponder
from gateway.no_answer import GIVE_UP, NUDGE
from gateway.turn_settings import TurnSettings
from tests.turn_fakes import ToneVoice
from tests.unit.fake_tools import FakeTools
from tests.unit.test_frame_dialog import MONDAY_8AM


def responder() -> tuple[AgentResponder, FrameDialog]:
    config = AgentConfig.load("real_estate")
    dialog = FrameDialog(config, FakeTools(MONDAY_8AM), "unit", clock=lambda: MONDAY_8AM)
    return AgentResponder(DialogEngine(dialog), ToneVoice(), cities=tuple(config.cities)), dialog


async def said(agent: AgentResponder, times: int) -> list[str]:
    return [speech.text async for speech in agent.nudge(times)]


async def test_a_silence_is_asked_about_with_the_question_again_then_goodbye() -> None:
    agent, dialog = responder()
    dialog.greeting()
    await dialog.respond("a three bedroom in Austin under seven hundred thousand")
    await dialog.respond("the second one")
    question = dialog.last_said[-1]
    assert question.endswith("?")
    assert await said(agent, 1) == [NUDGE, question]
    assert await said(agent, 2) == [NUDGE, question] and not agent.ended
    assert await said(agent, 3) == [GIVE_UP] and agent.ended


async def test_after_a_line_that_asks_nothing_only_the_nudge_is_said() -> None:
    agent, dialog = responder()
    dialog.last_said = ["Your showing is booked."]
    assert await said(agent, 1) == [NUDGE]


def test_the_silence_setting_is_read_and_checked() -> None:
    assert TurnSettings.from_env({"VOICEPOD_NO_ANSWER_MS": "0"}).no_answer_ms == 0
    assert TurnSettings.from_env({}).no_answer_ms == 8000
    with pytest.raises(ValueError, match="VOICEPOD_NO_ANSWER_MS"):
        TurnSettings.from_env({"VOICEPOD_NO_ANSWER_MS": "-1"})


async def test_the_line_with_the_question_is_said_again_whole() -> None:
    agent, dialog = responder()
    dialog.greeting()
    greeting = dialog.last_said[-1]
    assert not greeting.startswith("Are you") and "?" in greeting
    assert await said(agent, 1) == [NUDGE, greeting]  # the caller may have heard nothing of it
