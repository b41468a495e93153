"""The text end of turn (VOICEPOD_END_OF_TURN=text) in the end-of-turn benchmark.

Each utterance goes frame by frame through what a call runs: Silero VAD probabilities, the
`TurnDetector` reading the real `IncrementalSession`'s text so far, the session decoding with the
default STT (whisper by slot: tiny.en, base for phone numbers) told the utterance's dialog slot.
Decodes are real but run at once, on this thread; the session gets each one's text on the frame
its measured CPU time (all of the decode's threads, as if it had one core to itself: the machine
is shared, so wall time says more about the neighbours than about the decode) has passed after
it was asked, and the STT counts as busy until then, as the one worker would be. Decodes are
cached by their audio and context, so the sweep costs replays, not decodes.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.eot_speech import Utterance
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.incremental import IncrementalSession
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.turns import TurnDetector, TurnEnded, TurnSettings

TEXT_SILENCE_MS = [200, 300, 400, 500, 600, 700, 800]
TEXT_MAX_SILENCE_MS = [1000, 1200, 1500]
Decoded = tuple[Transcript, float, float]  # text, CPU ms (all threads), wall ms


class TimedDecoder:
    """SubmitsDecodes for IncrementalSession: a real decode, answered `cpu_ms` later (in frames)."""

    def __init__(self, stt: WhisperBySlot, cache: dict[tuple[int, str, SpeechContext], Decoded]) -> None:
        self.stt, self.cache = stt, cache
        self.frame = 0
        self.pending: list[tuple[int, Future[Transcript], Transcript]] = []

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        key = (len(audio), hashlib.sha1(audio.tobytes()).hexdigest(), context)
        if key not in self.cache:
            wall, cpu = time.perf_counter(), time.process_time()
            text = self.stt.transcribe_now(audio, context)
            self.cache[key] = (text, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000)
        text, cpu_ms, _ = self.cache[key]
        future: Future[Transcript] = Future()
        future.set_running_or_notify_cancel()  # running at once on an idle worker: no longer cancellable
        self.pending.append((self.frame + max(1, math.ceil(cpu_ms / (FRAME_SECONDS * 1000))), future, text))
        return future

    @property
    def idle(self) -> bool:
        return not self.pending

    def tick(self, frame: int) -> None:
        self.frame = frame
        for item in [x for x in self.pending if x[0] <= frame]:
            self.pending.remove(item)
            item[1].set_result(item[2])


@dataclass
class Verdict:
    at: float  # seconds into the recording
    text: str
    complete: bool
    reason: str
    where: str  # "pause" (inside a mid-sentence pause), "end" (after the last word), "speech"
    confidence: float  # the decode's own


def _where(u: Utterance, t: float) -> str:
    if t >= u.speech_end:
        return "end"
    return "pause" if any(a <= t <= b for a, b in u.pauses) else "speech"


async def replay_text(
    u: Utterance, probs: list[float], settings: TurnSettings, decoder: TimedDecoder
) -> tuple[list[float], list[Verdict]]:
    """The turn ends (seconds into the recording) and every verdict the words gave."""
    session = IncrementalSession(decoder)
    session.expect(SpeechContext(slot=u.slot))
    detector = TurnDetector(settings, words=session)
    ends: list[float] = []
    verdicts: list[Verdict] = []
    for i, p in enumerate(probs):
        decoder.tick(i)
        await asyncio.sleep(0)  # the session hears of a finished decode, as the call's loop would
        frame = u.audio[i * IN_FRAME : (i + 1) * IN_FRAME]
        judged = detector.judged
        said = session.said_so_far()  # what the detector reads, if it asks on this frame
        session.feed(frame)
        event = detector.feed(frame, p, agent_speaking=False)
        session.feed_vad(p, detector.turn_frames)
        t = (i + 1) * FRAME_SECONDS
        if detector.judged > judged and detector.verdict is not None:
            text, confidence = (said[0].text, said[0].confidence) if said is not None else ("", 0.0)
            v = detector.verdict
            verdicts.append(Verdict(round(t, 2), text, v.complete, v.reason, _where(u, t), round(confidence, 3)))
        if isinstance(event, TurnEnded):
            ends.append(t)
    await session.close()
    decoder.pending.clear()
    return ends, verdicts


def decode_costs(cache: dict[Any, Decoded]) -> dict[str, Any]:
    cpu = [c for _, c, _ in cache.values()]
    wall = [w for _, _, w in cache.values()]
    if not cpu:
        return {"count": 0}
    return {
        "count": len(cache),
        "cpu_ms_p50": round(float(np.percentile(cpu, 50))),
        "cpu_ms_p95": round(float(np.percentile(cpu, 95))),
        "wall_ms_p50": round(float(np.percentile(wall, 50))),
        "wall_ms_p95": round(float(np.percentile(wall, 95))),
    }


def judge_alone(verdicts: list[Verdict]) -> dict[str, Any]:
    """The words as a classifier: how often each pause / each end was called complete."""
    pauses = [v for v in verdicts if v.where == "pause"]
    ends = [v for v in verdicts if v.where == "end"]
    return {
        "pauses_judged": len(pauses),
        "pauses_called_complete": round(float(np.mean([v.complete for v in pauses])), 3) if pauses else None,
        "ends_judged": len(ends),
        "ends_called_complete": round(float(np.mean([v.complete for v in ends])), 3) if ends else None,
    }
