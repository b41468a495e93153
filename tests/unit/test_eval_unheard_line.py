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


class SlowTurnLine(FakeLine):
    """A gateway that hears the line start at once (an onset while it is said) but ends the turn only
    `turn_after` seconds after its end (its endpointing's wait); the received audio grows meanwhile."""

    def __init__(self, turn_after: float) -> None:
        super().__init__(deaf_for=0)
        self._turn_after = turn_after
        self._heard = 0

    async def say(self, pcm: NDArray[np.int16]) -> None:
        self.said += 1
        self._heard += 1000  # the line's own length on the caller's clock
        ev, turn = self.events, self.events.turn + 1
        ev.on_event({"type": "speech.started"})
        loop = asyncio.get_running_loop()

        def turn_ended() -> None:
            self._heard += 500  # heard while waiting for the turn's end: not part of the line
            for event in ({"type": "turn.ended", "turn": turn}, {"type": "agent.text", "turn": turn, "text": "Sure."},
                          {"type": "turn.latency", "turn": turn}, {"type": "agent.done", "turn": turn}):  # fmt: skip
                ev.on_event(event)

        loop.call_later(self._turn_after, turn_ended)

    def received(self) -> int:
        return self._heard


def test_a_line_heard_starting_is_not_said_again_and_ends_where_it_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's onset came while the line was said; its turn ends later than UNHEARD_SECONDS
    (a slow endpointing): the line was heard, and it ended when its last sample went out, not
    when the gateway ended the turn (the reply's latency and heard-back audio are measured from it)."""
    monkeypatch.setattr(audio_caller, "UNHEARD_SECONDS", 0.1)
    line = SlowTurnLine(turn_after=0.3)
    call = asyncio.run(_call(line))
    assert line.said == 1 and call.problem is None
    assert [(s.start, s.end, s.repeated) for s in call.lines] == [(0, 1000, False)]
