"""The Twilio bridge against a local stand-in speaking Twilio's wire protocols (tests/fakes/
twilio_standin.py): signed webhooks only, the stream's token, the caller's audio in and ours out
with marks, barge-in's clear, keys pressed, a caller hanging up mid-reply, broken messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import WSCloseCode
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from bus.contracts import events_pb2
from gateway import auth
from gateway.call import Call
from gateway.link.phone.twilio_routes import STREAM_AUDIENCE
from gateway.media.pcm import OUT_RATE
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import CallerTurn, Responder, Speech
from tests.fakes.twilio_standin import TwilioStandIn, to_mulaw
from tests.integration.gateway_helpers import SECRET, RunningGateway
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN, phone_gateway, transcript_of
from tests.speech import say

pytestmark = pytest.mark.timeout(90)


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_an_unsigned_or_wrongly_signed_webhook_is_refused_and_starts_nothing(nc: NATS) -> None:
    async with phone_gateway(nc) as gw:
        twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN)
        url = gw.http_url + "/telephony/twilio/voice"
        refused = count("voicepod_phone_webhooks_total", outcome="bad_signature")
        signed_elsewhere = twilio.signature(url.replace("/voice", "/other"), twilio.webhook_form())
        other_account = TwilioStandIn(gw.http_url, "f" * 32).signature(url, twilio.webhook_form())
        other_form = twilio.signature(url, {**twilio.webhook_form(), "From": "+15125550000"})
        for signature in ("", "not-a-signature", signed_elsewhere, other_account, other_form):
            status, body = await twilio.ring(signature=signature)
            assert status == 403 and "<Stream" not in body, signature
        assert twilio.stream_url is None and len(gw.state.calls) == 0
        assert count("voicepod_phone_webhooks_total", outcome="bad_signature") == refused + 5
        status, body = await twilio.ring()  # the same stand-in, signing right, is let in
    assert status == 200 and twilio.stream_url == gw.ws_url.replace("/ws", "/telephony/twilio/stream")
    claims = auth.verify(SECRET, twilio.parameters["token"], audience=STREAM_AUDIENCE)
    assert claims.sub == twilio.caller  # the caller's number rides in our token, not as a parameter


async def test_a_gateway_without_a_twilio_token_takes_no_phone_calls(nc: NATS) -> None:
    from tests.integration.gateway_helpers import gateway

    async with gateway(nc) as gw:
        status, _ = await TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN).ring()
    assert status == 503


async def test_a_stream_without_our_token_is_closed_before_any_call(nc: NATS) -> None:
    async with phone_gateway(nc) as gw:
        for parameters in ({}, {"token": auth.mint(SECRET, audience="voicepod-ws")},
                           {"token": auth.mint(SECRET, audience=STREAM_AUDIENCE, ttl_seconds=-60)}):  # fmt: skip
            twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN)
            await twilio.ring()
            await twilio.connect(parameters=parameters)
            await asyncio.wait_for(twilio.closed.wait(), 10)
            assert twilio.close_code == WSCloseCode.POLICY_VIOLATION
            await twilio.close()
        assert len(gw.state.calls) == 0


@contextlib.asynccontextmanager
async def on_the_phone(gw: RunningGateway) -> AsyncIterator[tuple[TwilioStandIn, Call]]:
    twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN)
    await twilio.ring()
    started: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
    make = gw.state.responder_factory

    def responder(call: Call) -> Responder:
        started.set_result(call)
        return make(call)

    gw.state.responder_factory = responder
    await twilio.connect()
    call = await asyncio.wait_for(started, 10)
    try:
        yield twilio, call
    finally:
        await twilio.close()


async def test_the_callers_line_comes_back_as_mulaw_with_a_mark_when_played(nc: NATS, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The echo agent plays the caller's turn back: 8 kHz μ-law in, VAD turn, our μ-law out."""
    import wave

    with wave.open(str(say("Hello, I would like to see a house in Austin please.", tmp_path / "l.wav"))) as w:
        pcm, rate = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()
    async with phone_gateway(nc) as gw, on_the_phone(gw) as (twilio, call):
        await twilio.say(to_mulaw(pcm, rate))
        heard = await twilio.hear_reply(quiet=1.0, timeout=30)
        await twilio.hang_up()
        assert call.origin.channel == "phone" and call.origin.caller_number == twilio.caller
        await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    seconds = len(heard) / 8000
    assert abs(seconds - len(pcm) / rate) < 1.0, seconds  # the whole line, back (turn audio, trimmed)
    assert twilio.received.marks == ["u1"] and twilio.received.clears == 0
    assert call.ended == "caller_hangup"
    transcript = await transcript_of(nc, call.call_id)
    assert transcript[0].call_started.channel == "phone"
    assert transcript[-1].call_ended.reason == "caller_hangup"
    quality = transcript[-1].call_ended.quality  # the call's end carries how it went
    assert quality.barge_ins == 0 and quality.late_frames == call.playout.late_frames
    assert quality.HasField("rtt_seconds") == (call.media.rtt_seconds is not None)


class SlowTalker:
    """Says a long first sentence, then waits on a next one that never comes (an LLM still streaming)."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()
        self.turns: list[str] = []

    async def greeting(self) -> Speech | None:
        return None

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        self.turns.append(turn.text)
        tone = (np.sin(np.arange(OUT_RATE * 4) * 2 * np.pi * 440 / OUT_RATE) * 8000).astype(np.int16)
        try:
            yield Speech(text="Let me tell you all about the houses we have in Austin this week.", audio=tone)
            await asyncio.Event().wait()
            yield Speech(text="never said", audio=tone)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    def heard(self, turn: int, text: str) -> None:
        pass

    def listening_for(self) -> SpeechContext:
        return NO_CONTEXT

    async def close(self) -> None:
        pass


async def test_keys_are_a_turn_and_a_hang_up_mid_reply_cancels_it_with_the_transcript_complete(nc: NATS) -> None:
    talker = SlowTalker()
    async with phone_gateway(nc) as gw:
        gw.state.responder_factory = lambda _call: talker
        async with on_the_phone(gw) as (twilio, call):
            await twilio.press("512#")
            await twilio.agent_speaks(seconds=1.0, timeout=20)  # a second of the 4 s reply has played...
            await twilio.hang_up()  # ...and the caller hangs up
            await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert talker.turns == ["512"] and talker.cancelled.is_set()
    assert call.ended == "caller_hangup"
    stored = await transcript_of(nc, call.call_id)
    # The reply's latency split is recorded at its first audio (its place among the others is the publishes' race).
    assert [e.turn_timing.turn for e in stored if e.HasField("turn_timing")] == [1]
    transcript = [e for e in stored if not e.HasField("turn_timing")]
    bodies = [e.WhichOneof("body") for e in transcript]
    assert bodies == ["call_started", "turn", "turn", "call_ended"], bodies
    caller, agent = transcript[1].turn, transcript[2].turn
    assert (caller.speaker, caller.text) == (events_pb2.SPEAKER_CALLER, "512")
    # The agent's turn is what was played before the hang-up: cut, and marked so.
    said = "Let me tell you all about the houses we have in Austin this week."
    assert agent.speaker == events_pb2.SPEAKER_AGENT and agent.interrupted
    assert agent.text and said.startswith(agent.text) and len(agent.text) < len(said) / 2, agent.text


async def test_a_malformed_stream_message_ends_the_call_cleanly_with_a_log_line_and_a_metric(nc: NATS) -> None:
    errors = count("voicepod_phone_stream_errors_total", reason="not_json")
    ended = count("voicepod_gateway_calls_ended_total", reason="malformed_stream")
    async with phone_gateway(nc) as gw:
        with capture_logs() as logs:
            async with on_the_phone(gw) as (twilio, call):
                await twilio.send_raw("{this is not json")
                await asyncio.wait_for(twilio.closed.wait(), 10)
                await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert call.ended == "malformed_stream"
    assert count("voicepod_phone_stream_errors_total", reason="not_json") == errors + 1
    assert count("voicepod_gateway_calls_ended_total", reason="malformed_stream") == ended + 1
    (line,) = [e for e in logs if e["event"] == "phone_stream_malformed"]
    assert (line["reason"], line["wire"], line["stream_id"]) == ("not_json", "twilio", twilio.stream_sid)
    transcript = await transcript_of(nc, call.call_id)
    assert transcript[-1].call_ended.reason == "malformed_stream"


class SaysGoodbye(SlowTalker):
    """Answers any turn with a goodbye, and is done."""

    ended = False

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        self.turns.append(turn.text)
        self.ended = True
        tone = (np.sin(np.arange(OUT_RATE) * 2 * np.pi * 440 / OUT_RATE) * 8000).astype(np.int16)
        yield Speech(text="Thanks for calling. Goodbye!", audio=tone)


async def test_the_agents_goodbye_is_played_to_the_end_then_the_stream_is_closed(nc: NATS) -> None:
    talker = SaysGoodbye()
    async with phone_gateway(nc) as gw:
        gw.state.responder_factory = lambda _call: talker
        async with on_the_phone(gw) as (twilio, call):
            await twilio.press("0#")
            await asyncio.wait_for(twilio.closed.wait(), 20)
            await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert call.ended == "agent_hangup" and twilio.close_code == WSCloseCode.OK
    # Closed once Twilio had played the whole goodbye: the last mark came back first.
    assert twilio.received.marks == ["u1", "end"]
    # A second of tone in 20 ms frames (the resampler holds a few samples, so the last frame may wait).
    assert len(twilio.received.played) in (7840, 8000) and twilio.received.media_messages in (49, 50)
    transcript = await transcript_of(nc, call.call_id)
    assert [e.turn.text for e in transcript if e.HasField("turn")] == ["0", "Thanks for calling. Goodbye!"]


async def test_keys_over_a_reply_take_the_floor_and_clear_what_twilio_holds(nc: NATS) -> None:
    talker = SlowTalker()
    async with phone_gateway(nc) as gw:
        gw.state.responder_factory = lambda _call: talker
        async with on_the_phone(gw) as (twilio, call):
            await twilio.press("1#")
            await twilio.agent_speaks(seconds=1.0, timeout=20)  # a second into the 4 s reply...
            await twilio.press("2#")  # ...the caller keys in over it
            await asyncio.wait_for(talker.cancelled.wait(), 10)
            await asyncio.wait_for(twilio.cleared.wait(), 10)  # what Twilio held of the reply is dropped
            await twilio.agent_speaks(timeout=20)  # the answer to the keys
            await twilio.hang_up()
            await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert talker.turns == ["1", "2"] and call.turn_loop.barge_ins == 1
    # The cut reply: `clear` sent once (Twilio drops what it still holds of it).
    assert twilio.received.clears == 1
    transcript = await transcript_of(nc, call.call_id)
    turns = [(e.turn.text, e.turn.interrupted) for e in transcript if e.HasField("turn")]
    assert turns[0] == ("1", False) and turns[1][1] and turns[2] == ("2", False), turns
