"""Streaming replies to speech: the OpenAI speech adapter (real SDK, local server that
answers like /v1/audio/speech), the offline fallback voice, and the responder speaking an
LLM's first sentence while the rest is still generated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from gateway.agent.chat_engine import ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.responder import FAILED, FILLER, AgentResponder
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.media.ogg_opus import OpusSpeech
from gateway.media.pcm import Pcm
from gateway.providers.llm.openai_chat import OpenAIChat
from gateway.providers.tts.fallback import FallbackTTS
from gateway.providers.tts.openai_speech import OpenAISpeech, SpeechFailed
from gateway.responder import CallerTurn
from tests.fakes.openai_server import API_KEY, Reply, serving

EMPTY = np.zeros(0, dtype=np.int16)


class Silence:
    """A stand-in voice for tests about ordering and fallbacks: 10 ms of silence per character."""

    name = "silence"

    def __init__(self) -> None:
        self.said: list[str] = []

    async def synthesize(self, text: str) -> Pcm:
        self.said.append(text)
        return np.zeros(480 * len(text), dtype=np.int16)


async def test_openai_speech_returns_48khz_audio_of_the_sentence() -> None:
    async with serving(lambda body: Reply()) as fake:
        tts = OpenAISpeech(api_key=API_KEY, base_url=fake.base_url, model="gpt-4o-mini-tts", voice="coral")
        pcm = await tts.synthesize("Hello there.")
        await tts.close()
    assert fake.speech_requests == [
        {"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Hello there.", "response_format": "pcm"}
    ]
    # The server sent 60 ms per character at 24 kHz; we play it at 48 kHz.
    assert isinstance(pcm, np.ndarray) and pcm.dtype == np.int16
    assert len(pcm) == pytest.approx(48_000 * 0.06 * len("Hello there."), abs=4)
    assert np.abs(pcm).max() > 4000


async def test_openai_speech_in_opus_gives_its_packets_to_play_as_they_are() -> None:
    async with serving(lambda body: Reply()) as fake:
        tts = OpenAISpeech(api_key=API_KEY, base_url=fake.base_url, voice="coral", opus=True)
        speech = await tts.synthesize("Hello there.")
        await tts.close()
    assert fake.speech_requests[0]["response_format"] == "opus"
    # 60 ms per character, in 20 ms packets (FFmpeg's encoder pads the last one and adds its delay).
    assert isinstance(speech, OpusSpeech)
    assert 0.06 * len("Hello there.") <= speech.seconds <= 0.06 * len("Hello there.") + 0.04
    assert len(speech.packets) == speech.samples // 960


async def test_unreadable_opus_from_the_voice_is_a_clear_failure() -> None:
    async with serving(lambda body: Reply()) as fake:
        fake.speech_body = b"\x00\x01" * 500  # raw PCM where Ogg was asked for: a misbehaving proxy
        tts = OpenAISpeech(api_key=API_KEY, base_url=fake.base_url, opus=True)
        with pytest.raises(SpeechFailed, match="unreadable Ogg Opus"):
            await tts.synthesize("Hi.")
        await tts.close()


async def test_a_failing_cloud_voice_falls_back_to_the_offline_one() -> None:
    async with serving(lambda body: Reply()) as fake:
        wrong = OpenAISpeech(api_key="sk-wrong", base_url=fake.base_url)
        with pytest.raises(SpeechFailed, match="AuthenticationError"):
            await wrong.synthesize("Hi.")
        backup = Silence()
        pcm = await FallbackTTS(wrong, backup).synthesize("Hello.")
        await wrong.close()
    assert backup.said == ["Hello."] and isinstance(pcm, np.ndarray) and len(pcm) == 480 * 6


def chat_responder(base_url: str, usage: UsageMeter, tts: Silence, filler_after: float) -> AgentResponder:
    config = AgentConfig.load("real_estate")
    tools = ToolBox([], bus=None)  # type: ignore[arg-type]  # no tool is called in these tests
    model = OpenAIChat(api_key=API_KEY, base_url=base_url)
    engine = ChatEngine(model, config, tools, FrameDialog(config, tools, "c"), usage, "c")
    return AgentResponder(engine, tts, usage, filler_after=filler_after)


async def test_the_first_sentence_is_spoken_while_the_model_is_still_generating() -> None:
    text = "Sure, I can help with that. Austin has lots of homes right now. What is your budget?"
    async with serving(lambda body: Reply(text, chunk_delay=0.05)) as fake:
        usage, tts = UsageMeter("test"), Silence()
        responder = chat_responder(fake.base_url, usage, tts, filler_after=5)
        replies = responder.reply(CallerTurn(1, EMPTY, "I'd like a house in Austin"))
        first = await anext(replies)
        finished_when_first_spoken = fake.streams_finished
        rest = [s.text async for s in replies]
    assert first.text == "Sure, I can help with that." and isinstance(first.audio, np.ndarray)
    assert len(first.audio) == 480 * len(first.text)
    assert finished_when_first_spoken == 0  # the model was still streaming
    assert rest == ["Austin has lots of homes right now.", "What is your budget?"]
    assert usage.quantities[("silence", "characters")] == len(text) - 2  # spaces between sentences not spoken


async def test_a_slow_model_gets_a_filler_and_a_broken_one_an_apology() -> None:
    def policy(body: Mapping[str, Any]) -> Reply:
        return Reply("Here you go.", delay=1.0)

    async with serving(policy) as fake:
        responder = chat_responder(fake.base_url, UsageMeter("test"), Silence(), filler_after=0.2)
        said = [s.text async for s in responder.reply(CallerTurn(1, EMPTY, "hello"))]
    assert said == [FILLER, "Here you go."]

    class Broken:
        name, wants_text, ended = "broken", True, False

        async def respond(self, turn: CallerTurn) -> Any:
            raise RuntimeError("bug")
            yield  # an async generator that fails on first use

    broken = AgentResponder(Broken(), Silence())  # type: ignore[arg-type]
    # One line (agent.text), spoken in pieces: its first sentence is cut at a phrase.
    assert [s.shown async for s in broken.reply(CallerTurn(1, EMPTY, "hello")) if s.shown] == [FAILED]
