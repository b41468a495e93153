"""A call's audio reaches Deepgram (the real SDK, a local server speaking its protocol) as the
caller's own Opus packets on the lean stack, and as 16 kHz linear16 otherwise; with provider
turns, Deepgram's endpointing ends the caller's turn and the gateway decodes nothing."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from caller.client import place_call
from caller.wav import RATE, read_wav, write_wav
from gateway import auth
from gateway.media.opus_in import OpusIn
from gateway.media.pcm import OUT_RATE
from gateway.media.vad import VadStream
from gateway.providers.settings import ProviderSettings
from gateway.providers.stt.deepgram_live import DeepgramLive
from gateway.responder import CallerTurn, EchoResponder, Speech
from gateway.settings import MEDIA_STACKS
from tests.fakes.deepgram_server import KEY, FakeDeepgram, tone
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, event_is, gateway
from tests.speech import say
from tests.spy import spy

pytestmark = pytest.mark.slow
SAID = "I am looking for a house in Austin."


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return say("Hello, I am looking for a three bedroom house in Austin.", tmp_path_factory.mktemp("wav") / "a.wav",
               pad_seconds=2.0)  # fmt: skip


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.parametrize(
    ("stack", "takes_opus", "sent"),
    [("lean", True, "ogg-opus"), ("lean", False, "linear16"), ("aiortc", True, "linear16")],
)
async def test_deepgram_is_sent_the_callers_opus_when_the_media_stack_has_it(
    stack: str, takes_opus: bool, sent: str, nc: NATS, speech: Path
) -> None:
    async with FakeDeepgram(transcripts=[SAID]).running() as fake:
        stt = DeepgramLive(KEY, base_url=fake.url, takes_opus=takes_opus)
        async with gateway(nc, media_stack=stack, stt=stt) as gw:
            result = await place_call(
                gw.ws_url, speech, token=auth.mint(SECRET, ttl_seconds=60), tail_seconds=2, ice_addresses=CALLER_ICE
            )
            await gw.state.calls.wait_empty(5)

    (final,) = result.of_type("transcript.final")
    assert final["text"] == SAID and final["confidence"] == 0.93
    (listener,) = fake.listeners
    assert listener.controls[0] == "Finalize" and listener.controls[-1] == "CloseStream"
    if sent == "ogg-opus":  # containerised: no encoding named, the stream's OpusHead says it
        assert "encoding" not in listener.params and listener.ogg is not None
        assert listener.ogg.head.startswith(b"OpusHead") and listener.ogg.packets >= 100
    else:
        assert listener.params["encoding"] == "linear16" and listener.ogg is None
    # Deepgram heard the whole call, speech included: the sentence and its padding at least.
    assert wav_seconds(speech) - 0.5 <= listener.audio_seconds <= wav_seconds(speech) + 4.0
    pcm = np.frombuffer(bytes(listener.audio), "<i2").astype(np.float64)
    loudest = max(np.sqrt(np.mean(pcm[i : i + 3200] ** 2)) for i in range(0, len(pcm) - 3200, 3200))
    assert loudest > 1_000  # espeak's speech, decoded by the server, not silence


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_with_provider_turns_deepgram_ends_the_turn_and_nothing_is_decoded(
    stack: str, nc: NATS, speech: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = spy(monkeypatch, OpusIn, "samples")
    vad_runs = spy(monkeypatch, VadStream, "push")
    providers = ProviderSettings(stt="deepgram", deepgram_api_key=KEY, turns="provider")
    async with FakeDeepgram(transcripts=[SAID], endpointing=True).running() as fake:
        stt = DeepgramLive(KEY, base_url=fake.url)
        async with gateway(nc, stt=stt, providers=providers, media_stack=stack) as gw:
            result = await place_call(gw.ws_url, speech, token=auth.mint(SECRET, ttl_seconds=60), tail_seconds=2,
                                      ice_addresses=CALLER_ICE, hang_up_on=event_is("transcript.final", 1))  # fmt: skip
            await gw.state.calls.wait_empty(5)

    kinds = [e["type"] for e in result.events]
    assert kinds.index("speech.started") < kinds.index("turn.ended") < kinds.index("transcript.final")
    (final,) = result.of_type("transcript.final")
    assert final["text"] == SAID
    (turn,) = result.of_type("turn.ended")
    assert 2.0 < turn["speech_seconds"] < wav_seconds(speech)  # the sentence, ended by Deepgram's endpointing
    (listener,) = fake.listeners
    assert "Finalize" not in listener.controls
    if stack == "lean":  # the caller's packets went to Deepgram, and none was decoded in the gateway
        assert listener.ogg is not None and listener.ogg.packets >= 100 and decoded == []
    else:  # aiortc decodes in its track: Deepgram gets linear16
        assert listener.params["encoding"] == "linear16" and listener.audio_seconds > 2.0
    assert vad_runs == []  # Deepgram's endpointing ended the turn: no VAD of ours ran


class ToneResponder(EchoResponder):
    """Answers every turn with 3 s of tone: something for the caller to talk over."""

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        yield Speech(text=f"A long answer to {turn.text}", audio=tone(OUT_RATE * 3, OUT_RATE))


async def test_with_provider_turns_deepgrams_speech_onset_barges_in(nc: NATS, tmp_path: Path) -> None:
    first = read_wav(say("Tell me about the house on Canyon Court.", tmp_path / "1.wav"))
    second = read_wav(say("Wait, stop.", tmp_path / "2.wav"))
    # The first sentence, 1.5 s of silence (Deepgram ends the turn; the answer starts), then talk over it.
    gap = np.zeros(int(RATE * 1.5), dtype=np.int16)
    write_wav(tmp_path / "barge.wav", np.concatenate((first, gap, second, np.zeros(RATE * 2, dtype=np.int16))))
    providers = ProviderSettings(stt="deepgram", deepgram_api_key=KEY, turns="provider")
    async with FakeDeepgram(transcripts=[SAID, "Wait, stop."], endpointing=True).running() as fake:
        async with gateway(nc, stt=DeepgramLive(KEY, base_url=fake.url), providers=providers) as gw:
            gw.state.responder_factory = lambda _call: ToneResponder()
            result = await place_call(gw.ws_url, tmp_path / "barge.wav", token=auth.mint(SECRET, ttl_seconds=60),
                                      tail_seconds=2, ice_addresses=CALLER_ICE,
                                      hang_up_on=event_is("transcript.final", 2))  # fmt: skip
            await gw.state.calls.wait_empty(5)

    assert [e["barge_in"] for e in result.of_type("speech.started")][:2] == [False, True]
    (barge,) = result.of_type("barge_in")
    assert barge["turn"] == 1 and 0 < barge["heard_fraction"] < 0.9  # cut off well before its 3 s end
    assert [e["text"] for e in result.of_type("transcript.final")] == [SAID, "Wait, stop."]
