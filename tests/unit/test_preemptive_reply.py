"""A reply prepared at the caller's pause (gateway/turn_loop.py `settled`), on the real agent
responder and frame dialog with faked tools and voice: used at once when the turn ends with the
text it was prepared for, dropped when the caller goes on or the text changes, and never a
write (lead, booking, text) or a change to the dialog before the turn has ended."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine
from gateway.agent.rehearsed_reply import RehearsedReply
from gateway.agent.responder import AgentResponder
from gateway.media.outbound import PlayoutTrack
from gateway.media.pcm import Pcm
from gateway.responder import CallerTurn
from gateway.turn_loop import TurnLoop
from gateway.turn_sources import NO_AUDIO, LocalTurns
from gateway.turns import TurnDetector, TurnSettings
from tests.turn_fakes import LoudnessVad, RecordedEvents, ScriptedLink, SetAnswersSession, Step, ToneVoice, frames
from tests.unit.fake_tools import FakeTools
from tests.unit.test_rehearsal import CONTACT, SEARCH, dialog, state

TURNS = TurnSettings(stop_ms=200)  # a turn ends after 10 quiet frames
SPEECH, SILENCE = frames(30), frames(10, 0)


class Call:
    """The turn loop over a dialog, with an STT session whose final texts are set and whose pauses
    the script says."""

    def __init__(self, d: FrameDialog, *final: str) -> None:
        self.dialog = d
        self.voice, self.events, self.session = ToneVoice(), RecordedEvents(), SetAnswersSession(*final)
        self.responder = AgentResponder(DialogEngine(d), self.voice)
        self.prepared: list[RehearsedReply] = []
        source = LocalTurns(TurnDetector(TURNS), self.session, opus=False, quiet_gap=0.2, vad=LoudnessVad())
        self.playout = PlayoutTrack()
        self.loop = TurnLoop(source, self.playout, self.responder, self.events, session=self.session,
                             stt_name="fake", rehearse=self._rehearse)  # fmt: skip
        self.session.watch_pauses(self.loop.settled, self.loop.unsettled)

    def _rehearse(self, turn: CallerTurn) -> RehearsedReply | None:
        made = self.responder.rehearse(turn)
        if made is not None:
            self.prepared.append(made)
        return made

    def pause(self, text: str) -> Step:
        """A script step: the caller pauses, `text` heard so far; on once the reply is prepared (or
        could not be)."""

        async def step() -> None:
            self.session.pause(text)
            if self.prepared:
                await self.prepared[-1].ready()

        return step

    def speaks_again(self) -> Step:
        async def step() -> None:
            self.session.speaks_again()

        return step

    async def _listen(self) -> None:
        """The caller's side of the playout: its frames taken as they are due (turn.latency is sent
        when the reply's first frame goes out)."""
        while True:
            await self.playout.recv()

    @asynccontextmanager
    async def hearing(self, script: Sequence[Step]) -> AsyncIterator[None]:
        hearing = asyncio.create_task(self.loop.run(ScriptedLink(script)))
        listening = asyncio.create_task(self._listen())
        try:
            yield
        finally:
            hearing.cancel()
            listening.cancel()
            await asyncio.gather(hearing, listening, *self.loop.cancel(), return_exceptions=True)
            self.loop.release()


async def at_the_read_back() -> tuple[FrameDialog, FakeTools]:
    d, tools = dialog()
    d.greeting()
    for text in (SEARCH, "the one on Maple", CONTACT):
        await d.respond(text)
    assert d.confirming and tools.writes() == []
    return d, tools


async def test_a_turn_that_ends_as_it_was_prepared_is_answered_with_the_prepared_reply() -> None:
    d, tools = dialog()
    d.greeting()
    call = Call(d, SEARCH)
    async with call.hearing([*SPEECH, call.pause(SEARCH), *SILENCE]):
        latency = await call.events.wait("turn.latency")
        text = await call.events.wait("agent.text")
    assert latency["prepared"] is True and call.loop.prepared_used == 1
    assert text["text"].startswith("I found")
    # The engine answered once (one search), and the first piece was synthesised once, ahead.
    assert [name for name, _ in tools.calls] == ["search_listings"]
    assert call.voice.said.count(call.voice.said[0]) == 1
    assert d.frame.city == "Seattle" and d.last_said[0].startswith("I found")
    # What came after the turn's text: nothing of the engine or the first piece was left to wait for.
    assert latency["tts_first_seconds"] == 0.0


async def test_a_turn_that_ends_with_other_words_is_answered_anew_on_its_own_text() -> None:
    d, tools = dialog()
    d.greeting()
    call = Call(d, SEARCH)
    async with call.hearing([*SPEECH, call.pause("a condo in Seattle"), *SILENCE]):
        latency = await call.events.wait("turn.latency")
    assert latency["prepared"] is False and call.loop.prepared_used == 0
    assert len(call.prepared) == 1
    # The dialog holds what the final text said (two bedrooms, the budget), not the pause's guess.
    assert (d.frame.bedrooms, d.frame.max_price) == (2, 800_000)
    searches = [args for name, args in tools.calls if name == "search_listings"]
    assert len(searches) == 2 and searches[-1].get("max_price_usd") == 800_000


async def test_a_caller_who_goes_on_drops_the_prepared_reply_and_nothing_was_written_or_changed() -> None:
    d, tools = await at_the_read_back()
    before, calls = state(d), len(tools.calls)
    call = Call(d, "no, change the time")
    checked: list[bool] = []

    async def unchanged() -> None:
        checked.append(state(d) == before and tools.writes() == [] and len(tools.calls) == calls)

    script = [*SPEECH, call.pause("yes"), call.speaks_again(), *SPEECH, unchanged, *SILENCE]
    async with call.hearing(script):
        latency = await call.events.wait("turn.latency")
        text = await call.events.wait("agent.text")
    assert checked == [True]  # at the pause: no lead, no booking, no text, the dialog as it was
    assert latency["prepared"] is False and tools.writes() == [] and not d.booked
    assert "What should I change" in text["text"]


async def test_a_prepared_search_dropped_when_the_caller_goes_on_leaves_the_dialog_as_it_was() -> None:
    d, tools = dialog()
    d.greeting()
    before = state(d)
    call = Call(d, "")
    checked: list[bool] = []

    async def unchanged() -> None:
        checked.append(state(d) == before and d.frame.city is None)

    script = [*SPEECH, call.pause(SEARCH), call.speaks_again(), unchanged]
    async with call.hearing(script):
        await call.events.until(lambda: bool(checked))
    assert len(call.prepared) == 1 and checked == [True]
    assert [name for name, _ in tools.calls] == ["search_listings"]  # it read; nothing else


async def test_a_yes_that_would_book_is_not_prepared_and_books_once_when_the_turn_ends() -> None:
    d, tools = await at_the_read_back()
    call = Call(d, "yes, book it")
    async with call.hearing([*SPEECH, call.pause("yes, book it"), *SILENCE]):
        latency = await call.events.wait("turn.latency")
        text = await call.events.wait("agent.text")
    assert latency["prepared"] is False
    assert text["text"].startswith("You're booked")
    assert tools.writes() == ["write_lead", "book_showing", "send_sms"]  # once each, after the turn ended


class HeldVoice(ToneVoice):
    """A voice that holds each synthesis until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.go = asyncio.Event(), asyncio.Event()

    async def synthesize(self, text: str) -> Pcm:
        self.started.set()
        await self.go.wait()
        return await super().synthesize(text)


async def test_a_reply_dropped_while_it_is_synthesised_is_freed_without_the_garbage_collector() -> None:
    # A cancelled task's traceback holds its frames: a frame holding the prepared reply, which holds
    # the task, would be a cycle keeping the dialog (and through its tools' observer, the call) alive.
    d, _ = dialog()
    d.greeting()
    voice = HeldVoice()
    responder = AgentResponder(DialogEngine(d), voice)
    gc.collect()
    gc.disable()
    try:
        prepared = responder.rehearse(CallerTurn(index=1, audio=NO_AUDIO, text=SEARCH))
        assert prepared is not None
        copied = weakref.ref(prepared._copy)
        task = weakref.ref(prepared._ready)
        await voice.started.wait()  # the engine has answered on the copy; its first phrase is being synthesised
        prepared.cancel()
        assert not await prepared.ready()
        del prepared
        assert copied() is None and task() is None
    finally:
        gc.enable()
    assert d.frame.city is None  # and the dialog never moved
