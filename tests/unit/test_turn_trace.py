"""A call's turn traced on the scripted turn loop: a turn span under the call's, with the turn
clock's stages (VAD wait, STT, engine, TTS first audio, playout) as its children, their lengths
the turn.latency event's; a barge-in ends the turn it cut off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.call_trace import CallTrace, open_call_trace
from gateway.media.outbound import PlayoutTrack
from gateway.turn_loop import TurnLoop
from gateway.turn_sources import LocalTurns
from gateway.turns import TurnDetector, TurnSettings
from tests.spans import is_child, named, spans
from tests.turn_fakes import LinesResponder, LoudnessVad, RecordedEvents, ScriptedLink, SetAnswersSession, Step, frames

__all__ = ["spans"]  # the fixture
TURN = [*frames(30), *frames(10, 0)]  # 600 ms of speech, then the 200 ms of silence that ends it
STAGES = ("vad_wait", "stt", "engine", "tts_first", "playout")


def seconds(span: ReadableSpan) -> float:
    assert span.start_time is not None and span.end_time is not None
    return (span.end_time - span.start_time) / 1e9


@asynccontextmanager
async def call(script: Sequence[Step], events: RecordedEvents, trace: CallTrace) -> AsyncIterator[PlayoutTrack]:
    playout = PlayoutTrack()
    session = SetAnswersSession("a house in Austin", "no wait, a condo")
    source = LocalTurns(TurnDetector(TurnSettings(stop_ms=200)), session, opus=False, quiet_gap=0.2, vad=LoudnessVad())
    loop = TurnLoop(source, playout, LinesResponder("Hello there.", seconds=0.2), events, session=session,
                    stt_name="fake", trace=trace)  # fmt: skip
    hearing = asyncio.create_task(loop.run(ScriptedLink(script)))
    try:
        yield playout
    finally:
        hearing.cancel()
        await asyncio.gather(hearing, *loop.cancel(), return_exceptions=True)
        loop.release()
        trace.end("hangup")


async def play_until(playout: PlayoutTrack, events: RecordedEvents, kind: str) -> None:
    for _ in range(200):  # 4 s of 20 ms frames at most
        if events.of(kind):
            return
        await playout.recv()
    raise AssertionError(f"no {kind} after 4 s of playout")


async def test_a_turn_has_a_span_per_stage_under_its_call(spans: InMemorySpanExporter) -> None:
    events = RecordedEvents()
    async with call(TURN, events, open_call_trace("call-1", "echo", "webrtc")) as playout:
        await events.wait("agent.text")
        await play_until(playout, events, "agent.done")
    finished = spans.get_finished_spans()
    call_span, turn = named(finished, "call"), named(finished, "turn")
    assert is_child(turn, call_span) and call_span.parent is None
    stages = {name: named(finished, name) for name in STAGES}
    assert all(is_child(s, turn) for s in stages.values())
    assert turn.attributes and turn.attributes["voicepod.outcome"] == "done" and turn.attributes["voicepod.turn"] == 1
    # The stages are the turn clock's: their lengths are the ones turn.latency reported.
    latency = events.of("turn.latency")[0]
    for stage, key in (("vad_wait", "vad_wait"), ("stt", "stt"), ("tts_first", "tts_first")):
        assert seconds(stages[stage]) == pytest.approx(latency[f"{key}_seconds"], abs=0.002), stage
    assert latency["vad_wait_seconds"] == pytest.approx(0.2, abs=0.03)
    assert turn.attributes["voicepod.latency.total_seconds"] == pytest.approx(latency["total_seconds"], abs=0.001)
    # In order: the caller's silence, the text, the reply worked out, then played (about 0.2 s of it).
    assert stages["vad_wait"].end_time <= stages["stt"].end_time <= stages["engine"].end_time  # type: ignore[operator]
    assert seconds(stages["playout"]) == pytest.approx(0.2, abs=0.1)
    assert turn.start_time == stages["vad_wait"].start_time and turn.end_time == stages["playout"].end_time


async def test_a_barge_in_ends_the_turn_it_cut_off(spans: InMemorySpanExporter) -> None:
    events = RecordedEvents()
    long_reply = asyncio.Event()
    script: list[Step] = [*TURN, long_reply.wait, *frames(90), *frames(10, 0)]  # the caller talks over the reply
    async with call(script, events, open_call_trace("call-2", "echo", "webrtc")) as playout:
        await events.wait("agent.text")
        await playout.recv()  # the reply's first audio: playout starts
        long_reply.set()
        await events.wait("agent.text", 2)
        await play_until(playout, events, "agent.done")
    turns = sorted((s for s in spans.get_finished_spans() if s.name == "turn"), key=lambda s: s.start_time or 0)
    assert [t.attributes and t.attributes["voicepod.outcome"] for t in turns] == ["barge_in", "done"]
    call_span = named(spans.get_finished_spans(), "call")
    assert all(is_child(t, call_span) for t in turns)


async def test_off_a_call_makes_no_spans(spans: InMemorySpanExporter) -> None:
    from bus import tracing

    tracing.use(None)
    events = RecordedEvents()
    async with call(TURN, events, open_call_trace("call-3", "echo", "webrtc")) as playout:
        await events.wait("agent.text")
        await play_until(playout, events, "agent.done")
    assert spans.get_finished_spans() == ()
