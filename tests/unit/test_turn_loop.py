"""The turn loop on a scripted link: turns answered, barge-in, and a backchannel that only
pauses the reply. Both turn sources: ours (a loudness VAD and the real turn detector) and the
provider's (an STT session that reports its own onsets and turns)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import pytest

from gateway.interruptions import InterruptionSettings
from gateway.media.outbound import PlayoutTrack
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import CallerTurn, Speech
from gateway.turn_loop import TurnLoop
from gateway.turn_sources import NO_AUDIO, LocalTurns, ProviderTurns, TurnSource
from gateway.turns import TurnDetector, TurnSettings, detector_for
from tests.turn_fakes import (
    FAINT,
    LinesResponder,
    LoudnessVad,
    RecordedEvents,
    ScriptedLink,
    SetAnswersSession,
    Step,
    WordsSoFarSession,
    frames,
)

TURNS = TurnSettings(stop_ms=200)  # a turn ends after 10 quiet frames
TURN = [*frames(30), *frames(10, 0)]  # 600 ms of speech, then the silence that ends it
UH_HUH = [*frames(20), *frames(10, 0)]  # 400 ms: under the backchannel limit (1.5 s; 0.75 s with no STT)
LONG = [*frames(90), *frames(10, 0)]  # 1.8 s: a turn whatever it says


@dataclass
class Running:
    loop: TurnLoop
    playout: PlayoutTrack
    events: RecordedEvents
    responder: LinesResponder
    link: ScriptedLink


@asynccontextmanager
async def running(script: Sequence[Step], *, events: RecordedEvents, session: SetAnswersSession | None = None,
                  provider: bool = False, interruptions: InterruptionSettings | None = None,
                  playout: PlayoutTrack | None = None, responder: LinesResponder | None = None,
                  detector: TurnDetector | None = None, no_answer_seconds: float = 0.0,
                  on_goodbye: Callable[[], None] | None = None) -> AsyncIterator[Running]:  # fmt: skip
    playout = playout or PlayoutTrack()
    responder = responder or LinesResponder("First line.", "Second line.")
    source: TurnSource
    if provider:
        assert session is not None
        source = ProviderTurns(session, opus=False, quiet_gap=0.2)
    else:
        source = LocalTurns(detector or TurnDetector(TURNS), session, opus=False, quiet_gap=0.2, vad=LoudnessVad())
    loop = TurnLoop(source, playout, responder, events, session=session, stt_name="fake",
                    interruptions=interruptions, no_answer_seconds=no_answer_seconds,
                    on_goodbye=on_goodbye)  # fmt: skip
    link = ScriptedLink(script)
    hearing = asyncio.create_task(loop.run(link))
    try:
        yield Running(loop, playout, events, responder, link)
    finally:
        hearing.cancel()
        await asyncio.gather(hearing, *loop.cancel(), return_exceptions=True)
        loop.release()


async def play(playout: PlayoutTrack, count: int) -> None:
    for _ in range(count):
        await playout.recv()


async def test_a_turn_is_transcribed_and_answered() -> None:
    events = RecordedEvents()
    async with running(TURN, events=events, session=SetAnswersSession("a house in Austin")) as r:
        await events.wait("agent.text", 2)
    assert events.kinds()[:4] == ["speech.started", "turn.ended", "transcript.final", "agent.text"]
    assert events.of("speech.started") == [{"barge_in": False}]
    assert [t.text for t in r.responder.turns] == ["a house in Austin"]
    assert r.loop.turns == 1 and r.playout.speaking


async def test_a_backchannel_pauses_the_reply_and_it_resumes_where_it_stopped() -> None:
    events, checked, playout = RecordedEvents(), asyncio.Event(), PlayoutTrack()
    script: list[Step] = [*TURN, events.waiting("agent.text"), lambda: play(playout, 5), *UH_HUH[:20], checked.wait,
                          *UH_HUH[20:]]  # fmt: skip
    session = SetAnswersSession("a house in Austin", "Uh-huh.")
    async with running(script, events=events, session=session, playout=playout) as r:
        paused = await events.wait("agent.paused")
        first = playout.current
        assert first is not None
        at_pause = first.played
        await play(playout, 3)  # silence while paused: nothing more of the line is played
        assert first.played == at_pause and playout.paused
        checked.set()  # the caller falls silent
        resumed = await events.wait("agent.resumed")
        await play(playout, 1)
    assert paused == {"turn": 1}
    assert resumed["heard"] == "Uh-huh." and resumed["turn"] == 1 and resumed["paused_seconds"] >= 0
    assert at_pause == 5 * 960 and first.played == at_pause + 960  # on from the very sample it stopped at
    assert "barge_in" not in events.kinds() and r.loop.turns == 1 and r.loop.resumed == 1
    assert [e["barge_in"] for e in events.of("speech.started")] == [False, True]
    assert len(r.responder.turns) == 1  # the backchannel was not answered


async def test_a_real_interruption_drops_the_reply_and_answers_the_caller() -> None:
    events, playout = RecordedEvents(), PlayoutTrack()
    script: list[Step] = [*TURN, events.waiting("agent.text"), lambda: play(playout, 10), *LONG]
    session = SetAnswersSession("a house in Austin", "wait I meant Dallas")
    async with running(script, events=events, session=session, playout=playout) as r:
        await events.wait("agent.text", 3)  # the reply to the second turn
    first, second = events.of("barge_in")  # one per line cut
    assert first == {"turn": 1, "heard_fraction": 0.2} and second == {"turn": 1, "heard_fraction": 0.0}
    assert [t.text for t in r.responder.turns] == ["a house in Austin", "wait I meant Dallas"]
    assert r.responder.heard_back == [(1, "Fi"), (1, "")]  # 10 of 50 frames: a fifth of "First line."
    assert r.loop.barge_ins == 1 and r.loop.resumed == 0 and r.loop.turns == 2
    assert "agent.resumed" not in events.kinds()


async def test_an_answer_while_the_agent_thinks_in_silence_is_a_turn() -> None:
    """The agent's reply has gone quiet mid-way (a tool call; the next sentence still being
    synthesised) and the caller answers. Nothing of the agent can echo then, so an ordinary onset is
    enough: the barge-in threshold (meant for speech over the agent's voice) is more than a short
    "yes, please" over a phone line reaches, and such a yes was once lost, the call stuck with each
    side waiting for the other. The reply is dropped and the answer taken."""
    events, playout, thinking = RecordedEvents(), PlayoutTrack(), asyncio.Event()
    responder = LinesResponder("Shall I text you,", "ending in 4 6 8 0?", between=thinking.wait)

    async def first_line_played() -> None:
        await play(playout, 51)
        assert not playout.speaking  # all of the reply so far was heard; the rest is not ready

    yes = [*frames(15, FAINT), *frames(10, 0)]
    script: list[Step] = [*TURN, events.waiting("agent.text"), first_line_played, *yes]
    session = SetAnswersSession("text me", "Yes, please.")
    async with running(script, events=events, session=session, playout=playout, responder=responder) as r:
        await events.wait("transcript.final", 2)
        thinking.set()
        await events.wait("agent.text", 3)
    assert [t.text for t in responder.turns] == ["text me", "Yes, please."]
    assert [e["barge_in"] for e in events.of("speech.started")] == [False, True]  # said over a reply not done
    assert r.loop.turns == 2 and r.loop.resumed == 0


@pytest.mark.parametrize("asking", [SpeechContext("phone"), NO_CONTEXT])
async def test_after_a_question_for_digits_a_pause_between_groups_does_not_end_the_turn(
    asking: SpeechContext,
) -> None:
    """Asked for a phone number, callers say it in groups and pause between them: the turn waits
    digits_stop_ms (here 500 ms) of silence, not stop_ms (200 ms); asked anything else, the same
    400 ms pause ends the turn."""
    events, playout = RecordedEvents(), PlayoutTrack()
    responder = LinesResponder("What's your number?", asking=asking)
    group, pause = frames(25), frames(20, 0)  # 500 ms of digits, 400 ms of quiet
    script: list[Step] = [*TURN, events.waiting("agent.text"), lambda: play(playout, 52), events.waiting("agent.done"),
                          *group, *pause, *group, *frames(30, 0)]  # fmt: skip
    session = SetAnswersSession("text me", "five one two", "five five five")
    detector = TurnDetector(TurnSettings(stop_ms=200, digits_stop_ms=500))
    async with running(script, events=events, session=session, playout=playout, responder=responder,
                       detector=detector) as r:  # fmt: skip
        turns = 2 if asking.slot == "phone" else 3
        await events.wait("turn.ended", turns)
        await r.link.finished.wait()  # the whole script heard: no turn is still to end
    assert r.loop.turns == turns and len(events.of("turn.ended")) == turns


async def test_a_short_word_that_is_not_a_backchannel_still_interrupts() -> None:
    events = RecordedEvents()
    script: list[Step] = [*TURN, events.waiting("agent.text"), *UH_HUH]
    async with running(script, events=events, session=SetAnswersSession("a house", "No.")) as r:
        await events.wait("transcript.final", 2)
    assert events.of("barge_in") and r.loop.turns == 2
    assert [e["text"] for e in events.of("transcript.final")] == ["a house", "No."]


async def test_without_an_stt_length_alone_decides() -> None:
    events = RecordedEvents()
    script: list[Step] = [*TURN, events.waiting("agent.text"), *UH_HUH, events.waiting("agent.resumed"), *LONG]
    async with running(script, events=events) as r:
        await events.wait("turn.ended", 2)
    assert events.kinds().count("agent.paused") == 2
    assert r.loop.resumed == 1 and r.loop.barge_ins == 1 and r.loop.turns == 2


async def test_with_resume_off_an_onset_drops_the_reply_at_once() -> None:
    events = RecordedEvents()
    script: list[Step] = [*TURN, events.waiting("agent.text"), *UH_HUH]
    async with running(script, events=events, interruptions=InterruptionSettings(resume=False)) as r:
        await events.wait("turn.ended", 2)
    kinds = events.kinds()
    assert "agent.paused" not in kinds and kinds.index("barge_in") < kinds.index("turn.ended", 2)
    assert r.loop.turns == 2


async def test_a_line_gone_quiet_mid_turn_still_ends_the_turn() -> None:
    events = RecordedEvents()
    async with running(frames(30), events=events, session=SetAnswersSession("hello")) as r:
        ended = await events.wait("turn.ended")  # the link sends nothing after the speech
        await events.wait("agent.text")
    assert ended == {"turn": 1, "speech_seconds": pytest.approx(0.6 + 0.1, abs=0.15)}  # some preroll
    assert r.responder.turns[0].text == "hello"


async def test_provider_turns_a_backchannel_resumes_a_real_turn_interrupts() -> None:
    events = RecordedEvents()
    session = SetAnswersSession()
    async with running([], events=events, session=session, provider=True) as r:
        await asyncio.sleep(0)  # the loop starts: the provider's callbacks are set
        session.speech()
        session.turn("I want a house", 1.5)
        await events.wait("agent.text")
        session.speech()
        assert r.playout.paused
        session.turn("Okay.", 0.4)
        await events.wait("agent.resumed")
        session.speech()
        session.turn("stop, what about Dallas", 1.8)
        await events.wait("transcript.final", 2)
    assert [e["text"] for e in events.of("transcript.final")] == ["I want a house", "stop, what about Dallas"]
    assert r.loop.resumed == 1 and r.loop.barge_ins == 1 and r.loop.turns == 2
    assert session.heard == []  # the provider's text is used: nothing asked of turn_ended


async def test_an_onset_no_turn_follows_resumes_after_the_window_and_a_later_turn_still_interrupts() -> None:
    events = RecordedEvents()
    session = SetAnswersSession()
    window = InterruptionSettings(backchannel_max_ms=50, window_ms=100)
    async with running([], events=events, session=session, provider=True, interruptions=window) as r:
        await asyncio.sleep(0)  # the loop starts: the provider's callbacks are set
        session.speech()
        session.turn("I want a house", 1.5)
        await events.wait("agent.text")
        session.speech()  # noise: the provider's onset, and no turn
        resumed = await events.wait("agent.resumed")
        assert not r.playout.paused and r.loop.turns == 1 and r.playout.speaking
        session.turn("what about Dallas", 1.2)  # words after all, the reply playing again: the caller's turn
        await events.wait("transcript.final", 2)
    assert resumed["heard"] == "" and resumed["paused_seconds"] >= 0.1
    assert events.of("barge_in") and r.loop.turns == 2 and r.loop.resumed == 1


async def test_a_sound_too_short_for_an_onset_only_hushes_the_agent_for_its_length() -> None:
    events, heard, playout = RecordedEvents(), asyncio.Event(), PlayoutTrack()
    blip: list[Step] = [*frames(3), heard.wait, *frames(5, 0)]  # 60 ms: past the 40 ms hush, short of the onset
    script: list[Step] = [*TURN, events.waiting("agent.text"), lambda: play(playout, 2), *blip]
    async with running(script, events=events, session=SetAnswersSession("a house"), playout=playout) as r:
        await r.link.waiting_at(heard)
        assert playout.paused
        heard.set()
        await asyncio.wait_for(r.link.finished.wait(), 5)
        assert not playout.paused and playout.speaking
    assert events.kinds().count("speech.started") == 1 and "agent.paused" not in events.kinds()


async def test_with_the_words_so_far_a_pause_after_an_unfinished_phrase_does_not_end_the_turn() -> None:
    events = RecordedEvents()
    session = WordsSoFarSession("I'm calling about the flat on Elm Street.")
    settings = TurnSettings(end_of_turn="text", eot_silence_ms=200, eot_max_silence_ms=1000)
    # 600 ms into a pause after "I'm calling about", then more words and a pause after a whole sentence
    script: list[Step] = [*frames(30), session.decoded("I'm calling about"), *frames(30, 0), *frames(40),
                          session.decoded("I'm calling about the flat on Elm Street."), *frames(15, 0)]  # fmt: skip
    source = LocalTurns(detector_for(settings, session), session, opus=False, quiet_gap=0.2, vad=LoudnessVad())
    loop = TurnLoop(source, PlayoutTrack(), LinesResponder("Sure."), events, session=session, stt_name="fake")
    link = ScriptedLink(script)
    hearing = asyncio.create_task(loop.run(link))
    try:
        await events.wait("transcript.final")
        await link.finished.wait()
    finally:
        hearing.cancel()
        await asyncio.gather(hearing, *loop.cancel(), return_exceptions=True)
        loop.release()
    assert loop.turns == 1 and events.of("transcript.final")[0]["text"] == "I'm calling about the flat on Elm Street."
    (heard,) = session.heard  # one turn: both stretches of speech, the pause between them
    assert len(heard) // 320 >= 30 + 30 + 40 + 10


class NudgedResponder(LinesResponder):
    """Answers turns with one short line; after silences says what gateway/no_answer.py would have it say."""

    def __init__(self) -> None:
        super().__init__("Which time works?", seconds=0.1)
        self.nudged: list[int] = []
        self.ended = False

    async def nudge(self, times: int) -> AsyncIterator[Speech]:
        self.nudged.append(times)
        self.ended = times > 2
        async for speech in self.reply(CallerTurn(index=0, audio=NO_AUDIO, text="")):
            yield replace(speech, text="Goodbye." if self.ended else "Are you still there?")


async def test_silence_after_the_reply_is_nudged_twice_then_the_agent_says_goodbye_and_hangs_up() -> None:
    events, playout, hung_up = RecordedEvents(), PlayoutTrack(), asyncio.Event()
    responder = NudgedResponder()
    script: list[Step] = [*TURN, events.waiting("agent.text")]
    async with running(script, events=events, session=SetAnswersSession("a house"), playout=playout,
                       responder=responder, no_answer_seconds=0.05, on_goodbye=hung_up.set) as r:  # fmt: skip
        for n in range(1, 5):  # the reply, two nudges and the goodbye, each heard in full
            await events.wait("agent.text", n)
            await play(playout, 6)
        await asyncio.wait_for(hung_up.wait(), 5)
    assert responder.nudged == [1, 2, 3]
    assert [e["text"] for e in events.of("agent.text")] == ["Which time works?", "Are you still there?",
                                                           "Are you still there?", "Goodbye."]  # fmt: skip
    assert r.loop.turns == 1


async def test_a_caller_who_speaks_stops_the_clock_and_starts_the_count_afresh() -> None:
    events, playout = RecordedEvents(), PlayoutTrack()
    responder = NudgedResponder()
    gate = asyncio.Event()
    script: list[Step] = [*TURN, events.waiting("agent.text", 2), lambda: play(playout, 6), gate.wait, *TURN]
    async with running(script, events=events, session=SetAnswersSession("a house", "Friday"), playout=playout,
                       responder=responder, no_answer_seconds=0.05) as r:  # fmt: skip
        await events.wait("agent.text")
        await play(playout, 6)
        await events.wait("agent.text", 2)  # the first nudge
        gate.set()  # the caller answers while it plays: no second nudge meanwhile
        await events.wait("transcript.final", 2)
        assert r.loop.no_answer.nudges == 0
    assert responder.nudged == [1]


async def test_no_nudge_when_switched_off() -> None:
    events, playout = RecordedEvents(), PlayoutTrack()
    responder = NudgedResponder()
    async with running([*TURN], events=events, session=SetAnswersSession("a house"), playout=playout,
                       responder=responder, no_answer_seconds=0.0):  # fmt: skip
        await events.wait("agent.text")
        await play(playout, 6)
        await events.wait("agent.done")
        await asyncio.sleep(0.2)  # would have nudged after 0.05 s if it were on
    assert responder.nudged == [] and len(events.of("agent.text")) == 1
