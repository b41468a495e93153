"""Deepgram live STT and Aura TTS through the real deepgram-sdk, against a local server
that speaks Deepgram's wire protocol (tests/fakes/deepgram_server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import av
import numpy as np
import pytest
import structlog
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from gateway.media.ogg_opus import OpusSpeech
from gateway.media.opus_out import OpusOut
from gateway.media.pcm import IN_FRAME, OUT_FRAME, OUT_RATE, Pcm
from gateway.providers.deepgram_env import environment
from gateway.providers.stt import SttSession, Transcript, deepgram_live, live_socket
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.deepgram_live import DeepgramLive, LiveSettings
from gateway.providers.stt.fallback import FallbackSTT
from gateway.providers.tts.deepgram_aura import DeepgramAura, SpeechFailed
from proc.ports import free_port
from tests.eventually import eventually
from tests.fakes.deepgram_server import KEY, FakeDeepgram, tone
from tests.unit.test_opus_in import tone_packets

FIRST = "Hello, I am looking for a house."
SECOND = "In Austin, please."


def frames(n: int, first: int = 0) -> list[Pcm]:
    """n 20 ms frames, each filled with its own number so the server's copy shows which arrived."""
    return [np.full(IN_FRAME, first + i, dtype=np.int16) for i in range(n)]


def feed(session: SttSession, chunk: list[Pcm]) -> None:
    for frame in chunk:
        session.feed(frame)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram(transcripts=[FIRST, SECOND]).running() as server:
        yield server


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """What the adapter logs (a fresh logger: the module's may be cached under another configuration)."""
    with capture_logs() as entries:
        for module in (deepgram_live, live_socket):
            monkeypatch.setattr(module, "log", structlog.get_logger("gateway.stt.deepgram"))
        yield entries


async def count(fake: FakeDeepgram, control: str) -> int:
    return sum(listener.controls.count(control) for listener in fake.listeners)


async def count_audio(fake: FakeDeepgram) -> int:
    return sum(len(listener.audio) for listener in fake.listeners)


async def first_close_code(fake: FakeDeepgram) -> int | None:
    return fake.listeners[0].close_code


# --- live STT -------------------------------------------------------------------------


async def test_a_turn_streams_its_audio_and_returns_deepgrams_final_text(fake: FakeDeepgram) -> None:
    stt = DeepgramLive(api_key=KEY, model="nova-3", base_url=fake.url)
    interims: list[str] = []
    heard = asyncio.Event()

    def on_interim(text: str) -> None:
        interims.append(text)
        heard.set()

    session = stt.open(on_interim)
    audio = frames(50)  # 1 s
    feed(session, audio)
    await asyncio.wait_for(heard.wait(), 5)
    transcript = await session.turn_ended(np.concatenate(audio))
    await session.close()

    assert stt.name == "deepgram:nova-3"
    assert interims == ["Hello, I am"]  # the first half of the words, before the turn ended
    assert transcript.text == FIRST and transcript.confidence == 0.93 and transcript.complete
    assert transcript.audio_seconds == 1.0 and transcript.seconds < 1.0
    (listener,) = fake.listeners
    assert bytes(listener.audio) == np.concatenate(audio).astype("<i2").tobytes()
    assert listener.params == {
        "model": "nova-3", "encoding": "linear16", "sample_rate": "16000", "channels": "1",
        "interim_results": "true", "endpointing": "300", "utterance_end_ms": "1000", "vad_events": "true",
        "smart_format": "true", "punctuate": "true",
    }  # fmt: skip
    # Finalize at the turn's end, CloseStream at close; Deepgram then closed normally.
    assert listener.controls == ["Finalize", "CloseStream"] and listener.close_code == 1000


async def test_each_turn_is_billed_the_audio_streamed_since_the_previous_one(fake: FakeDeepgram) -> None:
    session = DeepgramLive(api_key=KEY, base_url=fake.url).open()
    feed(session, frames(40))
    first = await session.turn_ended(np.zeros(0, np.int16))
    feed(session, frames(25, first=40))
    second = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()

    assert (first.text, second.text) == (FIRST, SECOND)
    assert (first.audio_seconds, second.audio_seconds) == (0.8, 0.5)
    (listener,) = fake.listeners  # one socket for the whole call
    assert listener.audio_seconds == first.audio_seconds + second.audio_seconds
    assert listener.controls == ["Finalize", "Finalize", "CloseStream"]


async def test_keepalives_hold_a_silent_socket_open() -> None:
    async with FakeDeepgram(transcripts=[FIRST], idle_timeout=0.3).running() as fake:
        session = DeepgramLive(KEY, base_url=fake.url, settings=LiveSettings(keepalive_seconds=0.05)).open()
        feed(session, frames(5))
        # Silence for well over the server's idle limit (20 keepalives x 50 ms = 1 s > 0.3 s).
        kept = await eventually(lambda: count(fake, "KeepAlive"), lambda n: n >= 20, timeout=10)
        assert kept >= 20 and fake.listeners[0].close_code is None
        feed(session, frames(20))
        transcript = await session.turn_ended(np.zeros(0, np.int16))
        await session.close()
    assert transcript.text == FIRST and transcript.audio_seconds == 0.5
    assert session.connections == 1 and len(fake.listeners) == 1


@pytest.mark.parametrize("ending", ["dropped", "idle"])
async def test_a_lost_socket_is_reopened_on_the_next_frame(ending: str) -> None:
    idle = 0.3 if ending == "idle" else 30.0
    async with FakeDeepgram(transcripts=[FIRST, SECOND], idle_timeout=idle).running() as fake:
        # No keepalives: an idle socket is closed by Deepgram (1011, NET-0001).
        session = DeepgramLive(KEY, base_url=fake.url, settings=LiveSettings(keepalive_seconds=60)).open()
        feed(session, frames(25))
        first = await session.turn_ended(np.zeros(0, np.int16))
        if ending == "dropped":
            await fake.drop()
        else:
            await eventually(lambda: first_close_code(fake), lambda code: code is not None, timeout=10)
        assert fake.listeners[0].close_code == 1011
        feed(session, frames(30, first=25))
        second = await session.turn_ended(np.zeros(0, np.int16))
        await session.close()
    assert (first.text, second.text) == (FIRST, SECOND)
    assert session.connections == 2 and len(fake.listeners) == 2
    # The second turn's audio all went out on the new socket, and that is what it is billed.
    assert second.audio_seconds == fake.listeners[1].audio_seconds == 0.6
    assert fake.listeners[1].controls == ["Finalize", "CloseStream"]


async def test_a_refused_key_gives_empty_turns_at_once_and_a_clear_log(
    fake: FakeDeepgram, logs: list[dict[str, Any]]
) -> None:
    wrong = "not-the-key-1234"
    session = DeepgramLive(api_key=wrong, base_url=fake.url).open()
    feed(session, frames(25))
    first = await asyncio.wait_for(session.turn_ended(np.zeros(0, np.int16)), 5)
    feed(session, frames(25))  # ignored: the session does not knock again on every frame
    second = await asyncio.wait_for(session.turn_ended(np.zeros(0, np.int16)), 5)
    await asyncio.wait_for(session.close(), 5)

    assert first.text == second.text == "" and first.audio_seconds == second.audio_seconds == 0.0
    assert not first.complete and not second.complete  # a fallback STT redoes such turns
    assert first.seconds < 1.0 and second.seconds < 0.1
    assert fake.rejected == [401] and fake.listeners == []
    assert session.failed == "Deepgram refused the API key (401)"
    refused = [e for e in logs if e["event"] == "deepgram_refused"]
    assert refused and refused[0]["status"] == 401 and refused[0]["log_level"] == "error"
    assert wrong not in repr(logs)


async def test_an_unreachable_server_gives_an_empty_turn_without_waiting_out_the_timeout() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    session = DeepgramLive(KEY, base_url=nowhere, settings=LiveSettings(finalize_timeout=10)).open()
    feed(session, frames(25))
    transcript = await asyncio.wait_for(session.turn_ended(np.zeros(0, np.int16)), 5)
    await asyncio.wait_for(session.close(), 5)
    assert transcript.text == "" and transcript.seconds < 2.0 and session.connections == 0


async def test_a_turn_deepgram_does_not_answer_returns_its_interim_after_the_timeout() -> None:
    async with FakeDeepgram(transcripts=[FIRST], answer_finalize=False).running() as fake:
        heard = asyncio.Event()
        settings = LiveSettings(finalize_timeout=0.3)
        session = DeepgramLive(KEY, base_url=fake.url, settings=settings).open(lambda _: heard.set())
        feed(session, frames(25))
        await asyncio.wait_for(heard.wait(), 5)
        transcript = await session.turn_ended(np.zeros(0, np.int16))
        await session.close()
    assert fake.listeners[0].controls[0] == "Finalize"
    assert transcript.text == "Hello, I am" and transcript.confidence == 0.93 and not transcript.complete
    assert 0.3 <= transcript.seconds < 1.5 and transcript.audio_seconds == 0.5


async def test_a_late_answer_is_not_taken_for_the_next_turns(logs: list[dict[str, Any]]) -> None:
    gate = asyncio.Event()
    async with FakeDeepgram(transcripts=[FIRST, SECOND], finalize_gate=gate).running() as fake:
        settings = LiveSettings(finalize_timeout=1.0)
        session = DeepgramLive(KEY, base_url=fake.url, settings=settings).open()
        feed(session, frames(25))
        first = await session.turn_ended(np.zeros(0, np.int16))  # Deepgram is slow: times out
        feed(session, frames(20, first=25))
        second = asyncio.create_task(session.turn_ended(np.zeros(0, np.int16)))
        gate.set()  # now the first turn's answer arrives, during the second turn
        second_transcript = await second
        await session.close()
    assert first.text == "Hello, I am" and first.audio_seconds == 0.5  # its interim, and the audio it had
    assert second_transcript.text == SECOND and second_transcript.audio_seconds == 0.4
    assert any(e["event"] == "deepgram_late_result" for e in logs)


async def test_a_turn_whose_audio_went_down_with_the_socket_returns_at_once(fake: FakeDeepgram) -> None:
    heard = asyncio.Event()
    settings = LiveSettings(finalize_timeout=10.0)
    session = DeepgramLive(KEY, base_url=fake.url, settings=settings).open(lambda _: heard.set())
    feed(session, frames(25))
    await asyncio.wait_for(heard.wait(), 5)
    await eventually(lambda: count_audio(fake), lambda n: n == 25 * IN_FRAME * 2, timeout=10)
    await fake.drop()  # all its audio is gone with the socket: a new one has nothing to finalize
    transcript = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()
    assert transcript.text == "Hello, I am" and transcript.seconds < 2.0
    assert fake.listeners[0].controls == []  # the Finalize never went to the old socket


async def test_feed_never_waits_and_drops_the_oldest_audio_when_the_socket_lags(fake: FakeDeepgram) -> None:
    session = DeepgramLive(KEY, base_url=fake.url, settings=LiveSettings(max_queued_seconds=1.0)).open()
    audio = frames(80)
    feed(session, audio)  # synchronously: the loop never ran, so nothing could be sent yet
    assert session.dropped_frames == 30
    transcript = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()
    assert transcript.text == FIRST and transcript.audio_seconds == 1.0
    assert bytes(fake.listeners[0].audio) == np.concatenate(audio[30:]).astype("<i2").tobytes()


# --- Opus passthrough ------------------------------------------------------------------


async def test_opus_packets_go_out_as_ogg_opus_and_turns_are_timed_by_the_packets(fake: FakeDeepgram) -> None:
    stt = DeepgramLive(api_key=KEY, base_url=fake.url)
    assert stt.takes_opus
    session = stt.open(opus=True)
    packets = tone_packets(65)
    for packet in packets[:40]:
        session.feed_opus(packet)
    session.feed(np.ones(IN_FRAME, np.int16))  # frames are not sent when the packets are
    first = await session.turn_ended(np.zeros(0, np.int16))
    for packet in packets[40:]:
        session.feed_opus(packet)
    second = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()

    assert (first.text, second.text) == (FIRST, SECOND)
    assert (first.audio_seconds, second.audio_seconds) == (0.8, 0.5)  # each turn's own packets
    (listener,) = fake.listeners
    # Containerised audio: Deepgram reads the format from the Ogg headers, so none is named.
    assert not {"encoding", "sample_rate", "channels"} & set(listener.params)
    assert listener.ogg is not None and listener.ogg.head.startswith(b"OpusHead")
    assert listener.ogg.packets == 65 and listener.ogg.samples_48k == 65 * 960  # all decoded by libopus
    assert listener.audio_seconds == 1.3
    level = np.sqrt(np.mean(np.frombuffer(bytes(listener.audio), "<i2")[3200:].astype(np.float64) ** 2))
    assert level > 5_000  # the tone, not silence
    # Pages of 100 ms (5 packets), the turn's rest flushed before its Finalize; granules count 48 kHz.
    assert listener.ogg.granules == [4800 * (i + 1) for i in range(13)]
    assert listener.controls == ["Finalize", "Finalize", "CloseStream"] and listener.close_code == 1000


async def test_a_lost_packet_keeps_the_opus_timeline(fake: FakeDeepgram) -> None:
    session = DeepgramLive(api_key=KEY, base_url=fake.url).open(opus=True)
    session.feed_opus(None)  # nothing heard yet: nothing to stand in for
    for i, packet in enumerate(tone_packets(25)):
        session.feed_opus(None if i in (10, 11) else packet)
    turn = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()
    assert turn.audio_seconds == 0.5
    assert fake.listeners[0].ogg is not None and fake.listeners[0].ogg.samples_48k == 25 * 960


async def test_a_reopened_socket_starts_a_new_ogg_stream(fake: FakeDeepgram) -> None:
    session = DeepgramLive(api_key=KEY, base_url=fake.url).open(opus=True)
    packets = tone_packets(50)
    for packet in packets[:25]:
        session.feed_opus(packet)
    first = await session.turn_ended(np.zeros(0, np.int16))
    await fake.drop()
    for packet in packets[25:]:
        session.feed_opus(packet)
    second = await session.turn_ended(np.zeros(0, np.int16))
    await session.close()
    assert (first.text, second.text) == (FIRST, SECOND)
    assert len(fake.listeners) == 2
    old, new = (listener.ogg for listener in fake.listeners)
    assert old is not None and new is not None
    assert new.head.startswith(b"OpusHead") and new.serials.isdisjoint(old.serials)
    assert (old.packets, new.packets) == (25, 25) and new.granules[0] == 4800


def silence_packets(count: int) -> list[bytes]:
    opus = OpusOut()
    return [bytes(opus.packet(np.zeros(OUT_FRAME, np.int16))) for _ in range(count)]


async def test_deepgram_ends_the_turns_itself_when_asked_to() -> None:
    async with FakeDeepgram(transcripts=[FIRST, SECOND], endpointing=True).running() as fake:
        session = DeepgramLive(api_key=KEY, base_url=fake.url).open(opus=True)
        onsets: list[float] = []
        turns: list[Transcript] = []
        session.detect_turns(lambda: onsets.append(len(turns)), turns.append)
        # Two utterances (0.5 s of tone), each followed by 0.4 s of silence: more than endpointing's 300 ms.
        for packet in (tone_packets(25) + silence_packets(20)) * 2:
            session.feed_opus(packet)
        await eventually(lambda: asyncio.sleep(0, len(turns)), lambda n: n == 2, timeout=10)
        await session.close()
        (listener,) = fake.listeners

    assert [t.text for t in turns] == [FIRST, SECOND] and all(t.complete for t in turns)
    assert onsets == [0, 1]  # one onset per utterance, each before its turn ended
    assert [t.waited for t in turns] == [0.3, 0.3]  # endpointing_ms: the silence Deepgram waited for
    # Each turn billed up to where Deepgram ended it (the rest of its silence went to the next one).
    assert turns[0].audio_seconds == pytest.approx(0.8, abs=0.02)
    assert sum(t.audio_seconds for t in turns) <= 1.8
    assert "Finalize" not in listener.controls  # the turns were Deepgram's, not ours


def test_whisper_cannot_be_fed_opus() -> None:
    from gateway.providers.stt.whisper_local import WhisperLocal

    whisper = WhisperLocal()
    assert not whisper.takes_opus and not FallbackSTT(whisper, whisper).takes_opus
    with pytest.raises(ValueError, match="Opus"):
        whisper.open(opus=True)


def test_a_compatible_servers_root_gives_both_the_rest_and_the_live_endpoints() -> None:
    local = environment("http://127.0.0.1:9000/")
    assert (local.base, local.production) == ("http://127.0.0.1:9000", "ws://127.0.0.1:9000")
    hosted = environment("https://dg.example.com")
    assert (hosted.base, hosted.production) == ("https://dg.example.com", "wss://dg.example.com")
    assert environment("").production == "wss://api.deepgram.com"


# --- Aura TTS ---------------------------------------------------------------------------


async def test_aura_returns_48khz_pcm_as_long_as_the_speech_deepgram_sent(fake: FakeDeepgram) -> None:
    tts = DeepgramAura(api_key=KEY, voice="aura-2-thalia-en", base_url=fake.url)
    text = "Three bedrooms, yes."  # 20 characters: 1 s at the fake's 50 ms a character
    pcm = await tts.synthesize(text)
    await tts.close()

    assert tts.name == "deepgram:aura-2"
    assert isinstance(pcm, np.ndarray) and pcm.dtype == np.int16 and len(pcm) == OUT_RATE
    assert np.array_equal(pcm, tone(OUT_RATE, OUT_RATE))  # byte for byte, across the odd-sized chunks
    (request,) = fake.speak_requests
    assert request.text == text and request.content_type == "application/json"
    assert request.params == {"model": "aura-2-thalia-en", "encoding": "linear16", "container": "none",
                              "sample_rate": "48000"}  # fmt: skip


async def test_aura_in_opus_gives_the_packets_it_sent(fake: FakeDeepgram) -> None:
    tts = DeepgramAura(api_key=KEY, voice="aura-2-thalia-en", base_url=fake.url, opus=True)
    speech = await tts.synthesize("Three bedrooms, yes.")  # 1 s at the fake's 50 ms a character
    await tts.close()

    assert isinstance(speech, OpusSpeech) and 1.0 <= speech.seconds <= 1.1  # FFmpeg's encoder pads the end
    decoder = av.CodecContext.create("libopus", "r")
    decoder.layout, decoder.format = "mono", "s16"
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for p in speech.packets for f in decoder.decode(av.Packet(p))])
    assert np.sqrt(np.mean(pcm[4800:43200].astype(np.float64) ** 2)) > 4000  # the tone, playable as it is
    (request,) = fake.speak_requests
    assert request.params == {"model": "aura-2-thalia-en", "encoding": "opus", "container": "ogg"}


async def test_aura_at_24khz_is_resampled_to_48khz(fake: FakeDeepgram) -> None:
    tts = DeepgramAura(api_key=KEY, voice="aura-asteria-en", base_url=fake.url, sample_rate=24_000)
    pcm = await tts.synthesize("Three bedrooms, yes.")
    await tts.close()
    assert tts.name == "deepgram:aura"
    assert (
        isinstance(pcm, np.ndarray) and len(pcm) == OUT_RATE and fake.speak_requests[0].params["sample_rate"] == "24000"
    )


async def test_aura_with_a_refused_key_raises_a_clear_error(fake: FakeDeepgram) -> None:
    tts = DeepgramAura(api_key="wrong", base_url=fake.url)
    with pytest.raises(SpeechFailed, match="answered 401"):
        await tts.synthesize("Hello.")
    await tts.close()
    assert fake.rejected == [401] and fake.speak_requests == []


class OfflineStandIn:
    """The backup's interface (a whole turn in, its text out), answering a fixed text."""

    def __init__(self) -> None:
        self.turns: list[int] = []

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        self.turns.append(len(audio))
        return Transcript(text="heard offline", confidence=0.8, seconds=0.2)


async def test_turns_deepgram_cannot_finish_are_transcribed_offline(fake: FakeDeepgram) -> None:
    before = REGISTRY.get_sample_value("voicepod_gateway_stt_fallbacks_total", {"provider": "deepgram:nova-3"}) or 0
    backup = OfflineStandIn()
    good = FallbackSTT(DeepgramLive(api_key=KEY, base_url=fake.url), backup).open()
    audio = frames(25)
    feed(good, audio)
    answered = await good.turn_ended(np.concatenate(audio))
    await good.close()
    refused = FallbackSTT(DeepgramLive(api_key="wrong-key-5678", base_url=fake.url), backup).open()
    feed(refused, audio)
    redone = await asyncio.wait_for(refused.turn_ended(np.concatenate(audio)), 5)
    await refused.close()
    after = REGISTRY.get_sample_value("voicepod_gateway_stt_fallbacks_total", {"provider": "deepgram:nova-3"})
    assert answered.text == FIRST and backup.turns == [len(np.concatenate(audio))]  # only the failed turn
    assert redone.text == "heard offline" and redone.complete and after == before + 1
