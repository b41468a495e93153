"""Incremental whisper with the real tiny.en, our Silero VAD and endpointing, on an espeak-ng caller:
the pause is decoded while the endpointing still waits, its text comes as an interim and is the
final text, and it says what a whole-turn decode of the same audio says."""

from __future__ import annotations

import asyncio

import numpy as np

from bench.stt.corpus import HELD_OUT, synthesize
from gateway.media.pcm import IN_FRAME, IN_RATE, Pcm
from gateway.media.vad import VadStream
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.incremental import IncrementalSession
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import TINY_EN
from gateway.turns import TurnDetector, TurnEnded, TurnSettings

BOUND = 60.0  # seconds: a stuck decode fails the test instead of hanging it


async def test_the_pause_decode_is_the_final_text_and_matches_a_whole_turn_decode() -> None:
    # Short enough (~1.4 s) that the pause's decode is the turn's only one: no interim budget reached.
    said = synthesize(HELD_OUT[0], "Something in Austin.", seed=1)
    quiet = np.zeros(IN_RATE, dtype=np.int16)
    audio = np.concatenate([quiet[: IN_RATE // 2], said, quiet])
    frames = [audio[i : i + IN_FRAME] for i in range(0, len(audio) - IN_FRAME + 1, IN_FRAME)]
    stt = WhisperLocal(TINY_EN, incremental=True)
    interims: list[str] = []
    heard_interim = asyncio.Event()

    def interim(text: str) -> None:
        interims.append(text)
        heard_interim.set()

    session = stt.open(interim)
    assert isinstance(session, IncrementalSession)
    session.expect(SpeechContext(slot="city", phrases=("Austin", "Dallas")))
    vad, detector = VadStream(), TurnDetector(TurnSettings())
    ended: list[TurnEnded] = []

    def hear(frame: Pcm) -> None:
        session.feed(frame)
        speech = vad.push(frame)
        event = detector.feed(frame, speech, agent_speaking=False)
        session.feed_vad(speech, detector.turn_frames)
        if isinstance(event, TurnEnded):
            ended.append(event)

    # The caller speaks and pauses; the endpointing has not ended the turn yet.
    quiet_frames = 0
    for i, frame in enumerate(frames):
        hear(frame)
        quiet_frames = quiet_frames + 1 if vad.probability < 0.35 and detector.in_turn else 0
        if quiet_frames == 15:  # 300 ms into the pause (the turn ends at 600 ms)
            rest = frames[i + 1 :]
            break
    assert detector.in_turn and not ended
    await asyncio.wait_for(heard_interim.wait(), BOUND)  # the pause's decode, while the turn is open
    assert session.interim == interims[0] and session.decoded == 1
    for frame in rest:
        hear(frame)
    assert len(ended) == 1

    final = await asyncio.wait_for(session.turn_ended(ended[0].audio), BOUND)
    assert session.reused == 1 and session.decoded == 1 and interims == [final.text]
    assert final.seconds < 0.05  # it was ready when the turn ended
    whole = await stt.transcribe(ended[0].audio, SpeechContext(slot="city", phrases=("Austin", "Dallas")))
    assert final.text == whole.text and "austin" in final.text.lower()
    await session.close()
    stt.close()
