"""The incremental STT session's scheduling: its budget, one decode in flight, the final text after
the last interim, a whole-turn decode when the caller spoke after it, cancellation when the call ends.

The endpointing is the real TurnDetector fed made-up VAD probabilities, the worker the real
DecodeWorker; only the decoder is fake: each decode waits on the worker thread until the test
releases it, so the tests say exactly which decodes finish when (no timing involved).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import pytest

from gateway.media.pcm import IN_FRAME, Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.decode_worker import FINAL, INTERIM, DecodeWorker
from gateway.providers.stt.incremental import IncrementalSession
from gateway.turns import TurnDetector, TurnEnded, TurnSettings

SPEECH, QUIET = 0.9, 0.05
HELD = 10.0  # seconds a decode waits for its release before failing the test (a bound, not a pause)


@dataclass
class Decode:
    audio: Pcm
    context: SpeechContext
    interim: bool
    future: Future[Transcript]
    gate: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.gate.set()

    async def running(self) -> None:
        assert await asyncio.to_thread(self.started.wait, HELD)

    async def finished(self) -> Transcript:
        return await asyncio.wrap_future(self.future)


class FakeDecoder:
    """Says how many frames it heard ("heard 40 frames"), once the test releases it."""

    def __init__(self) -> None:
        self.worker = DecodeWorker("test-stt")
        self.decodes: list[Decode] = []

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        gate, started = threading.Event(), threading.Event()

        def run() -> Transcript:
            started.set()
            if not gate.wait(HELD):
                raise TimeoutError("the test never released this decode")
            return Transcript(text=f"heard {len(audio) // IN_FRAME} frames", confidence=0.9, seconds=0.0)

        future = self.worker.submit_at(INTERIM if interim else FINAL, run)
        self.decodes.append(Decode(audio, context, interim, future, gate, started))
        return future

    @property
    def idle(self) -> bool:
        # A test may have the worker look idle while it is busy: the moment between a session's look
        # and another call's final decode arriving, when a decode it starts ends up queued.
        return self.looks_idle or self.worker.idle

    looks_idle = False

    def block(self) -> threading.Event:
        """Occupy the worker until the returned event is set (another call's decode, running)."""
        started, done = threading.Event(), threading.Event()

        def busy() -> None:
            started.set()
            done.wait(HELD)

        self.blocking = self.worker.submit_at(INTERIM, busy)
        assert started.wait(HELD)
        return done


class Caller:
    """Feeds a session the way the call does: every frame, then the VAD's view of it. A spoken frame
    holds its index (so misplaced audio shows), a quiet one digital silence."""

    def __init__(self, session: IncrementalSession, settings: TurnSettings | None = None) -> None:
        self.session = session
        self.detector = TurnDetector(settings or TurnSettings())  # VAD-only: 600 ms of quiet ends a turn
        self.fed = 0
        self.ended: list[TurnEnded] = []

    def hear(self, seconds: float, speech: float) -> None:
        for _ in range(round(seconds / 0.02)):
            frame = np.full(IN_FRAME, self.fed % 30000 if speech > QUIET else 0, dtype=np.int16)
            self.fed += 1
            self.session.feed(frame)
            event = self.detector.feed(frame, speech, agent_speaking=False)
            self.session.feed_vad(speech, self.detector.turn_frames)
            if isinstance(event, TurnEnded):
                self.ended.append(event)

    def say(self, seconds: float) -> None:
        self.hear(seconds, SPEECH)

    def pause(self, seconds: float) -> None:
        self.hear(seconds, QUIET)


async def step() -> None:
    """One pass of the event loop (no time passes): a task just started runs to its first wait."""
    await asyncio.sleep(0)


@pytest.fixture
def decoder() -> Iterator[FakeDecoder]:
    fake = FakeDecoder()
    yield fake
    for decode in fake.decodes:
        decode.release()
    fake.worker.shutdown(wait=True, cancel_futures=True)


def opened(decoder: FakeDecoder) -> tuple[IncrementalSession, Caller, list[str]]:
    interims: list[str] = []
    session = IncrementalSession(decoder, interims.append)
    caller = Caller(session)
    caller.pause(0.4)  # a quiet line before the caller speaks: the turn's preroll
    return session, caller, interims


async def test_one_decode_in_flight_and_one_per_two_seconds_of_new_speech(decoder: FakeDecoder) -> None:
    session, caller, interims = opened(decoder)
    caller.say(2.2)
    assert len(decoder.decodes) == 1 and decoder.decodes[0].interim
    assert len(decoder.decodes[0].audio) == 100 * IN_FRAME  # 2 s of turn audio (preroll included)
    caller.say(2.0)
    assert len(decoder.decodes) == 1  # still in flight: nothing else is queued
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    assert interims == ["heard 100 frames"] and session.interim == "heard 100 frames"
    # Two seconds of speech arrived meanwhile: the next decode goes out at once, with all of it.
    assert len(decoder.decodes) == 2
    assert len(decoder.decodes[1].audio) == (15 + 105 + 100) * IN_FRAME
    decoder.decodes[1].release()
    await decoder.decodes[1].finished()
    caller.say(1.0)
    assert len(decoder.decodes) == 2  # a second of new speech: under the budget
    assert interims == ["heard 100 frames", "heard 220 frames"]


async def test_decodes_use_only_the_workers_spare_time(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    blocker = decoder.block()  # another call's decode
    caller.say(2.2)
    caller.pause(0.12)
    assert decoder.decodes == []  # neither the budget's decode nor the pause's: the worker is busy
    blocker.set()
    await asyncio.wrap_future(decoder.blocking)
    caller.pause(0.02)  # the next frame finds it idle: the pause is decoded with all that was said
    assert len(decoder.decodes) == 1 and len(decoder.decodes[0].audio) == (120 + 30) * IN_FRAME
    caller.pause(0.5)
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    heard = await session.turn_ended(caller.ended[0].audio)
    assert heard.text == "heard 150 frames" and session.reused == 1


async def test_a_pause_replaces_a_decode_still_queued(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    blocker = decoder.block()
    decoder.looks_idle = True
    caller.say(2.2)
    queued = decoder.decodes[0]  # behind the blocker
    caller.pause(0.12)
    assert queued.future.cancelled() and len(decoder.decodes) == 2  # one in flight, with all that was said
    assert len(decoder.decodes[1].audio) == (120 + 30) * IN_FRAME
    caller.pause(0.5)
    blocker.set()
    await decoder.decodes[1].running()
    decoder.decodes[1].release()
    heard = await session.turn_ended(caller.ended[0].audio)
    assert heard.text == "heard 150 frames" and session.reused == 1


async def test_a_pause_decode_still_queued_when_the_turn_ends_goes_again_as_a_final(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    blocker = decoder.block()
    decoder.looks_idle = True
    caller.say(0.6)
    caller.pause(0.62)
    pause = decoder.decodes[0]  # queued behind the blocker when the turn ended
    final = asyncio.ensure_future(session.turn_ended(caller.ended[0].audio))
    await step()
    assert pause.future.cancelled() and not decoder.decodes[1].interim  # ahead of every interim decode
    assert np.array_equal(decoder.decodes[1].audio, caller.ended[0].audio)
    blocker.set()
    decoder.decodes[1].release()
    assert (await final).text == "heard 70 frames" and session.reused == 0


async def test_a_pause_is_decoded_at_once_and_its_text_is_the_final_text(decoder: FakeDecoder) -> None:
    session, caller, interims = opened(decoder)
    caller.say(0.6)
    assert decoder.decodes == []
    caller.pause(0.12)
    assert len(decoder.decodes) == 1  # the caller paused: the likely end of the turn is decoded now
    pause = decoder.decodes[0]
    pause.release()
    await pause.finished()
    caller.pause(0.5)
    assert len(caller.ended) == 1 and session.interim == ""  # 600 ms of quiet: the endpointing ended it
    heard = await session.turn_ended(caller.ended[0].audio)
    assert heard.text == interims[-1] == "heard 70 frames"
    assert len(decoder.decodes) == 1 and session.reused == 1  # no decode after the turn ended
    # Made up with the caller's quiet to the 600 ms the endpointing waits: the whole turn's audio.
    assert np.array_equal(pause.audio, caller.ended[0].audio)


async def test_the_quiet_made_up_on_a_noisy_line_is_at_its_level_not_the_last_word_again(
    decoder: FakeDecoder,
) -> None:
    session = IncrementalSession(decoder)
    detector = TurnDetector(TurnSettings())
    noise = np.random.default_rng(1)
    fading = [np.full(IN_FRAME, 3000 // (n + 1), dtype=np.int16) for n in range(3)]  # the word dying away
    heard = (
        [(noise.normal(0, 50, IN_FRAME).astype(np.int16), QUIET) for _ in range(20)]
        + [(np.full(IN_FRAME, 8000, dtype=np.int16), SPEECH) for _ in range(30)]
        + [(f, QUIET) for f in fading]
        + [(noise.normal(0, 50, IN_FRAME).astype(np.int16), QUIET) for _ in range(3)]
    )
    for frame, speech in heard:
        session.feed(frame)
        detector.feed(frame, speech, agent_speaking=False)
        session.feed_vad(speech, detector.turn_frames)
    (pause,) = decoder.decodes
    made_up = pause.audio[-24 * IN_FRAME :]  # 600 ms of quiet after the word, 6 frames of it heard
    assert 35 < np.sqrt(np.mean(made_up.astype(np.float32) ** 2)) < 65  # the line's noise level
    assert not np.any(made_up == 3000)  # the word's end is not heard again


async def test_the_quiet_made_up_is_what_the_endpointing_waited_last_time(decoder: FakeDecoder) -> None:
    session = IncrementalSession(decoder)
    caller = Caller(session, TurnSettings(stop_ms=400))
    caller.pause(0.4)
    lengths = []
    for _ in range(2):
        caller.say(0.6)
        caller.pause(0.12)
        decoder.decodes[-1].release()
        await decoder.decodes[-1].finished()
        caller.pause(0.4)
        await session.turn_ended(caller.ended[-1].audio)
        lengths.append((len(decoder.decodes[-1].audio), len(caller.ended[-1].audio)))
    # First turn: 600 ms assumed, 400 ms waited; the next one is made up to 400 ms, the turn's length.
    (first, first_turn), (second, second_turn) = lengths
    assert first == first_turn + 10 * IN_FRAME and second == second_turn
    assert session.reused == 2


async def test_the_final_text_waits_for_a_pause_decode_still_running(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    caller.say(0.6)
    caller.pause(0.62)
    assert len(caller.ended) == 1 and len(decoder.decodes) == 1
    await decoder.decodes[0].running()
    final = asyncio.ensure_future(session.turn_ended(caller.ended[0].audio))
    await step()  # turn_ended is now waiting on the decode
    assert not final.done()
    decoder.decodes[0].release()
    heard = await final
    assert heard.text == "heard 70 frames" and len(decoder.decodes) == 1


async def test_a_decode_cut_at_the_last_word_is_followed_by_the_pause_decode(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    caller.say(1.8)  # the budget's decode goes out on the last word's frame
    early = decoder.decodes[0]
    assert len(early.audio) == 100 * IN_FRAME
    await early.running()
    caller.pause(0.12)
    assert len(decoder.decodes) == 1  # one in flight
    early.release()
    await early.finished()
    # It heard every word but no quiet after them: the pause gets its own decode.
    assert len(decoder.decodes) == 2 and len(decoder.decodes[1].audio) == 130 * IN_FRAME
    caller.pause(0.5)
    decoder.decodes[1].release()
    await decoder.decodes[1].finished()
    heard = await session.turn_ended(caller.ended[0].audio)
    assert heard.text == "heard 130 frames" and session.reused == 1


async def test_speech_after_the_last_decode_means_a_whole_turn_decode_at_final_priority(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    caller.say(2.2)
    running = decoder.decodes[0]  # cut at 2 s
    await running.running()
    caller.say(0.6)
    caller.pause(0.62)
    assert len(decoder.decodes) == 1 and len(caller.ended) == 1  # one in flight: the pause waited
    audio = caller.ended[0].audio
    final = asyncio.ensure_future(session.turn_ended(audio))
    await step()
    whole = decoder.decodes[1]
    assert not whole.interim and np.array_equal(whole.audio, audio)
    running.release()
    whole.release()
    heard = await final
    assert heard.text == f"heard {len(audio) // IN_FRAME} frames" and session.reused == 0


async def test_a_final_decode_goes_ahead_of_queued_interim_decodes(decoder: FakeDecoder) -> None:
    blocker = decoder.block()
    order: list[str] = []
    later = decoder.worker.submit_at(INTERIM, order.append, "interim")
    first = decoder.worker.submit(order.append, "final")
    blocker.set()
    await asyncio.wrap_future(later)
    await asyncio.wrap_future(first)
    assert order == ["final", "interim"]


async def test_a_changed_expectation_is_decoded_again_with_it(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    session.expect(SpeechContext(slot="city"))
    caller.say(0.6)
    caller.pause(0.12)
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    caller.pause(0.5)
    session.expect(SpeechContext(slot="phone"))  # the dialog asked something else meanwhile
    final = asyncio.ensure_future(session.turn_ended(caller.ended[0].audio))
    await step()
    assert decoder.decodes[0].context.slot == "city"
    assert [d.context.slot for d in decoder.decodes[1:]] == ["phone"] and not decoder.decodes[1].interim
    decoder.decodes[1].release()
    await final
    assert session.reused == 0


async def test_audio_that_is_not_the_sessions_turn_is_decoded_whole(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    caller.say(0.6)
    caller.pause(0.12)
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    caller.pause(0.5)
    other = caller.ended[0].audio.copy()
    other[0] += 1  # the endpointing's turn differs from what the session was fed
    final = asyncio.ensure_future(session.turn_ended(other))
    await step()
    assert len(decoder.decodes) == 2 and np.array_equal(decoder.decodes[1].audio, other)
    decoder.decodes[1].release()
    await final


async def test_a_turn_asked_for_late_leaves_the_next_turn_alone(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    caller.say(0.6)
    caller.pause(0.62)
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    caller.say(0.6)  # the next turn opened before the first one's text was asked for
    final = asyncio.ensure_future(session.turn_ended(caller.ended[0].audio))
    await step()
    whole = decoder.decodes[-1]
    assert len(decoder.decodes) == 2 and not whole.interim and np.array_equal(whole.audio, caller.ended[0].audio)
    decoder.decodes[-1].release()
    await final
    caller.pause(0.12)
    decoder.decodes[-1].release()
    await decoder.decodes[-1].finished()
    caller.pause(0.5)
    heard = await session.turn_ended(caller.ended[1].audio)
    assert heard.text == f"heard {len(caller.ended[1].audio) // IN_FRAME} frames" and session.reused == 1


async def test_without_the_vad_it_decodes_each_whole_turn(decoder: FakeDecoder) -> None:
    session = IncrementalSession(decoder)
    audio = np.arange(40 * IN_FRAME, dtype=np.int16)
    for start in range(0, len(audio), IN_FRAME):
        session.feed(audio[start : start + IN_FRAME])
    final = asyncio.ensure_future(session.turn_ended(audio))
    await step()
    assert [(d.interim, d.context) for d in decoder.decodes] == [(False, NO_CONTEXT)]
    decoder.decodes[0].release()
    assert (await final).text == "heard 40 frames"


async def test_the_call_ending_cancels_the_queued_decode_and_silences_the_interims(decoder: FakeDecoder) -> None:
    session, caller, interims = opened(decoder)
    blocker = decoder.block()
    decoder.looks_idle = True
    caller.say(2.2)
    queued = decoder.decodes[0]
    await session.close()
    assert queued.future.cancelled()
    blocker.set()
    caller.say(2.2)  # frames that still arrive after the call ended are ignored
    assert len(decoder.decodes) == 1 and interims == []


async def test_a_running_decode_finishing_after_the_call_ended_is_not_reported(decoder: FakeDecoder) -> None:
    session, caller, interims = opened(decoder)
    caller.say(2.2)
    running = decoder.decodes[0]
    await running.running()
    await session.close()
    running.release()
    await running.finished()
    assert interims == [] and session.interim == ""


async def test_a_pause_whose_text_will_be_the_turns_is_reported_settled_until_the_caller_speaks_again(
    decoder: FakeDecoder,
) -> None:
    session, caller, _ = opened(decoder)
    said: list[str] = []
    session.watch_pauses(lambda heard: said.append(heard.text), lambda: said.append("<speaks again>"))
    caller.say(1.0)
    caller.pause(0.12)
    decoder.decodes[0].release()
    first = await decoder.decodes[0].finished()
    await step()
    assert said == [first.text]  # the pause's text: the turn's if nothing more is said
    caller.pause(0.1)
    assert said == [first.text]  # quiet goes on: still the turn's text
    caller.say(0.4)
    assert said == [first.text, "<speaks again>"]
    caller.pause(0.12)
    decoder.decodes[1].release()
    second = await decoder.decodes[1].finished()
    await step()
    caller.pause(0.5)  # the turn ends
    heard = await session.turn_ended(caller.ended[0].audio)
    assert said == [first.text, "<speaks again>", second.text] and heard.text == second.text
    assert session.reused == 1


async def test_a_pause_decode_that_finishes_after_the_caller_spoke_again_is_not_reported_settled(
    decoder: FakeDecoder,
) -> None:
    session, caller, _ = opened(decoder)
    said: list[str] = []
    session.watch_pauses(lambda heard: said.append(heard.text), lambda: said.append("<speaks again>"))
    caller.say(1.0)
    caller.pause(0.12)
    caller.say(0.3)  # before the pause's decode is done
    decoder.decodes[0].release()
    await decoder.decodes[0].finished()
    await step()
    assert said == []


async def test_the_text_so_far_is_the_pause_decode_once_it_has_heard_all_the_speech(decoder: FakeDecoder) -> None:
    session, caller, _ = opened(decoder)
    session.expect(SpeechContext(slot="phone"))
    caller.say(2.1)  # an interim decode at 2 s of new speech: it did not hear the end of it
    interim = decoder.decodes[0]
    interim.release()
    await interim.finished()
    await step()
    assert session.interim.startswith("heard") and session.said_so_far() is None  # speech after its cut
    caller.pause(0.12)
    pause = decoder.decodes[1]
    assert session.said_so_far() is None  # the pause's decode is not in yet
    pause.release()
    text = (await pause.finished()).text
    await step()
    heard = session.said_so_far()
    assert heard is not None and heard[0].text == text != interim.future.result().text
    assert heard[1] == SpeechContext(slot="phone")
    caller.say(0.1)
    assert session.said_so_far() is None  # the caller went on: that text is no longer all they said
    session.expect(SpeechContext(slot="name"))
    caller.pause(0.12)
    assert session.said_so_far() is None  # decoded with another expectation than the dialog's now
    await session.close()


async def test_a_closed_session_lets_go_of_the_callbacks_into_its_call(decoder: FakeDecoder) -> None:
    # The call holds its session and the session the call's callbacks: a cycle that kept ended calls
    # (their media, buffers) alive until a full GC pass, unless closing the session breaks it.
    import gc
    import weakref

    class CallLike:
        def interim(self, text: str) -> None: ...

        def settled(self, heard: Transcript) -> None: ...

        def unsettled(self) -> None: ...

    call = CallLike()
    session = IncrementalSession(decoder, call.interim)
    session.watch_pauses(call.settled, call.unsettled)
    gone = weakref.ref(call)
    await session.close()
    gc.disable()
    try:
        del call
        assert gone() is None
    finally:
        gc.enable()
