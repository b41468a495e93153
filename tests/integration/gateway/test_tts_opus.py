"""Speech a cloud voice returned as Opus reaches the caller as it was sent: on both media
stacks, not decoded or re-encoded by the gateway, and heard as audio by a real WebRTC caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from caller.client import place_call
from gateway import auth
from gateway.media.ogg_opus import OpusSpeech, read_ogg_opus
from gateway.media.opus_out import OpusOut
from gateway.responder import CallerTurn, EchoResponder, Speech
from gateway.settings import MEDIA_STACKS
from tests.fakes.deepgram_server import tone
from tests.fakes.ogg import ogg_opus
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, event_is, gateway
from tests.speech import say
from tests.spy import spy

pytestmark = pytest.mark.slow
SPOKEN = read_ogg_opus(ogg_opus(tone(48_000 * 2, 48_000)))  # 2 s, as FFmpeg's encoder made it


class OpusVoiceResponder(EchoResponder):
    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        yield Speech(text="Two seconds of tone.", audio=SPOKEN)


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_opus_speech_reaches_the_caller_without_our_encoder(
    stack: str, nc: NATS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded = spy(monkeypatch, OpusOut, "packet")
    wav = say("Read me the listing, please.", tmp_path / "a.wav", pad_seconds=4.0)
    async with gateway(nc, media_stack=stack) as gw:
        gw.state.responder_factory = lambda _call: OpusVoiceResponder()
        result = await place_call(gw.ws_url, wav, token=auth.mint(SECRET, ttl_seconds=60), tail_seconds=2,
                                  ice_addresses=CALLER_ICE, hang_up_on=event_is("agent.done", 1))  # fmt: skip
        await gw.state.calls.wait_empty(5)

    assert isinstance(SPOKEN, OpusSpeech) and len(SPOKEN.packets) >= 100
    assert [e["text"] for e in result.of_type("agent.text")] == ["Two seconds of tone."]
    assert result.of_type("agent.done")  # played to the end
    assert 1.6 <= result.recorder.voiced_seconds() <= 2.4  # the caller heard the 2 s, decoded by its own stack
    assert all(pcm is None for (pcm,) in encoded)  # our encoder only ever made silence: the speech went out as it came
