"""The audio eval's caller says a line again when the gateway showed no sign of hearing it, as a
person met by silence would, and only then."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from numpy.typing import NDArray

from caller.script import Conversation
from evals import audio_caller
from evals.audio_caller import place_call


class FakeLine:
    """A caller line whose gateway hears a line only from the `deaf_for`+1-th time it is said."""

    can_type = False

    def __init__(self, deaf_for: int) -> None:
        self.events = Conversation()
        self.said = 0
        self._deaf_for = deaf_for

    async def type_text(self, text: str) -> None:
        raise NotImplementedError

    async def say(self, pcm: NDArray[np.int16]) -> None:
        self.said += 1
        if self.said > self._deaf_for:
            ev, turn = self.events, self.events.turn + 1
            for event in ({"type": "speech.started"}, {"type": "turn.ended", "turn": turn},
                          {"type": "agent.text", "turn": turn, "text": "Sure."}, {"type": "turn.latency", "turn": turn},
                          {"type": "agent.done", "turn": turn}):  # fmt: skip
                ev.on_event(event)

    def received(self) -> int:
        return 0

    async def quiet_for(self, seconds: float) -> None:
        pass

    def audio(self) -> NDArray[np.int16]:
        return np.zeros(0, dtype=np.int16)


async def _call(line: FakeLine) -> audio_caller.AudioCall:
    line.events.on_event({"type": "agent.text", "turn": 0, "text": "Hello."})
    line.events.on_event({"type": "agent.done", "turn": 0})
    line.events.turn = 0

    async def nothing(_n: int) -> None:
        pass

    return await place_call(line, [(np.zeros(160, dtype=np.int16), False)], before_line=nothing, turn_timeout=1)


@pytest.mark.parametrize(("deaf_for", "said", "repeated"), [(0, 1, False), (1, 2, True)])
def test_an_unheard_line_is_said_once_more(monkeypatch: pytest.MonkeyPatch, deaf_for: int, said: int,
                                           repeated: bool) -> None:  # fmt: skip
    monkeypatch.setattr(audio_caller, "UNHEARD_SECONDS", 0.2)
    line = FakeLine(deaf_for)
    call = asyncio.run(_call(line))
    assert line.said == said and [s.repeated for s in call.lines] == [repeated] and call.problem is None


def test_a_line_never_heard_is_said_twice_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio_caller, "UNHEARD_SECONDS", 0.2)
    line = FakeLine(deaf_for=5)
    call = asyncio.run(_call(line))
    assert line.said == 2 and call.problem is not None  # then it waits for a reply that never comes
