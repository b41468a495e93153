"""A reply spoken piece by piece with the offline Piper voice: the first sentence's first phrase,
then the rest of it, then whole sentences, in order, each handed over as soon as it is synthesised;
a reply cancelled by a barge-in synthesises nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from gateway.agent.engine import Line
from gateway.agent.responder import PHRASE_PAUSE, AgentResponder
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import Pcm
from gateway.providers.tts.piper_local import PiperLocal
from gateway.responder import CallerTurn, Speech
from tests.spy import spy

READ_BACK = "Let me read that back: a showing of 4060 Meadow Rd on Monday the 7th at 9:30 AM for Ada Lovelace."
TURN = CallerTurn(index=1, audio=np.zeros(0, dtype=np.int16), text="yes")


class Scripted:
    """An engine that says the same lines every turn (the engine is not what these tests are about)."""

    name = "scripted"
    wants_text = False
    ended = False
    expecting = None

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.heard_texts: list[str] = []

    async def greeting(self) -> list[Line]:
        return []

    async def respond(self, turn: CallerTurn) -> AsyncIterator[Line]:
        for text in self.lines:
            yield Line(text)

    def heard(self, text: str) -> None:
        self.heard_texts.append(text)

    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def piper() -> PiperLocal:
    tts = PiperLocal()
    tts.warm_up()
    return tts


def pcm(speech: Speech) -> Pcm:
    assert isinstance(speech.audio, np.ndarray)
    return speech.audio


async def test_a_reply_comes_as_a_first_phrase_then_whole_sentences_in_order(piper: PiperLocal) -> None:
    second = "Is that right? Say yes and I'll book it."
    agent = AgentResponder(Scripted([READ_BACK, second]), piper)
    said = [speech async for speech in agent.reply(TURN)]
    assert [s.text for s in said] == [
        "Let me read that back:",
        "a showing of 4060 Meadow Rd on Monday the 7th at 9:30 AM for Ada Lovelace.",
        "Is that right?",
        "Say yes and I'll book it.",
    ]
    # agent.text stays one event per line, sent with the line's first piece.
    assert [s.shown for s in said] == [READ_BACK, "", second, ""]
    head, tail = pcm(said[0]), pcm(said[1])
    assert 0 < len(head) < len(tail) / 3  # the first audio is a short phrase, not the whole sentence
    loud = np.flatnonzero(np.abs(head.astype(np.int32)) >= 650)
    assert len(head) - (loud[-1] + 1) <= PHRASE_PAUSE  # a comma's pause after it, not a sentence's
    assert all(len(pcm(s)) > 0 for s in said)


async def test_whole_lines_when_phrases_are_off(piper: PiperLocal) -> None:
    agent = AgentResponder(Scripted([READ_BACK, "Is that right?"]), piper, phrases=False)
    said = [speech async for speech in agent.reply(TURN)]
    assert [(s.text, s.shown) for s in said] == [(READ_BACK, READ_BACK), ("Is that right?", "Is that right?")]


async def test_a_cancelled_reply_synthesises_nothing_more(piper: PiperLocal, monkeypatch: pytest.MonkeyPatch) -> None:
    sentences = [READ_BACK, "It is a three bedroom house.", "It has a big yard.", "It is near a park.",
                 "The price is 650 thousand dollars."]  # fmt: skip
    agent = AgentResponder(Scripted([" ".join(sentences)]), piper)
    synthesised = spy(monkeypatch, PiperLocal, "_run")
    playout = PlayoutTrack()
    first_played = asyncio.Event()

    async def reply() -> None:  # as the call plays a reply: each piece queued as it comes
        async for speech in agent.reply(TURN):
            playout.play(Utterance(audio=speech.audio, text=speech.text))
            first_played.set()

    task = asyncio.create_task(reply())
    await first_played.wait()
    task.cancel()  # the caller barged in while the next piece was being synthesised
    with pytest.raises(asyncio.CancelledError):
        await task
    # The TTS has one worker: once this is done, whatever the reply had queued has run or been dropped.
    await piper.synthesize("Done.")
    texts = [args[0] for args in synthesised][:-1]
    assert texts in (["Let me read that back:"], ["Let me read that back:", "a showing of 4060 Meadow Rd on "
                     "Monday the 7th at 9:30 AM for Ada Lovelace."])  # fmt: skip
    assert [u.text for u in playout.interrupt()] == ["Let me read that back:"]


async def test_on_barge_in_the_engine_hears_what_was_heard_of_the_playing_piece(piper: PiperLocal) -> None:
    engine = Scripted([READ_BACK, "Shall I book it?"])
    agent = AgentResponder(engine, piper)
    playout = PlayoutTrack()
    queued = [Utterance(audio=speech.audio, text=speech.text, turn=TURN.index) async for speech in agent.reply(TURN)]
    for u in queued:
        playout.play(u)
    queued[0].played = queued[0].length // 2  # half of the first phrase has gone out
    for u in playout.interrupt():  # as the call reports a barge-in: every cut piece, in order
        agent.heard(u.turn, u.text[: int(len(u.text) * u.heard_fraction)])
    half = "Let me read that back:"[: int(len("Let me read that back:") * queued[0].heard_fraction)]
    assert len(queued) > 2 and half.startswith("Let me re") and engine.heard_texts == [half]
