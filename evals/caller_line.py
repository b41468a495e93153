"""The line an audio eval's caller speaks on: WebRTC (caller.client, the default) or a phone line
through the gateway's Twilio bridge (caller.twilio_line: the signed webhook, then Media Streams
with 8 kHz μ-law each way, as Twilio would carry the same voice from a phone).

Both give the callers of evals/audio_caller.py and evals/persona_audio.py the same things: say a
16 kHz line in real time, what has been heard so far on the caller's clock (48 kHz samples, so
the turn records and latency figures read the same), the agent's quiet, and the gateway's events
as a `Conversation`. A phone line carries no events: the in-process eval gateway hands the call's
events to the caller's `Conversation` itself (AudioGateway.answer_with), so turn-taking follows
the same signals on both channels and the figures differ by the line alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal, Protocol

import av
import numpy as np
from numpy.typing import NDArray

from caller.client import LiveCall, dial
from caller.script import Conversation, ScriptedMicrophone
from caller.twilio_line import RATE as PHONE_RATE
from caller.twilio_line import TwilioCaller, mulaw_to_pcm, to_mulaw
from caller.wav import RATE, Recorder

Channel = Literal["webrtc", "phone"]
CHANNELS: tuple[Channel, ...] = ("webrtc", "phone")
WITHHELD = "anonymous"  # Twilio's From for a withheld number: the scripted lines say their number themselves
SPEECH_RATE = 16_000  # what the callers' voices are synthesised at


class CallerLine(Protocol):
    events: Conversation
    can_type: bool  # the web page's text box (a phone has keys, not a box)

    async def type_text(self, text: str) -> None:
        """Send a turn typed in the page's box (only when `can_type`)."""

    async def say(self, pcm: NDArray[np.int16]) -> None:
        """Say 16 kHz speech in real time; returns once its last sample has gone out."""

    def received(self) -> int:
        """Samples (48 kHz) of the line heard so far: the caller's clock."""

    async def quiet_for(self, seconds: float) -> None:
        """Until the agent has been quiet for `seconds`."""

    def audio(self) -> NDArray[np.int16]:
        """Everything heard, 48 kHz, one sample per sample of `received`."""


class WebRtcLine:
    def __init__(
        self, call: LiveCall, mic: ScriptedMicrophone, recorder: Recorder, events: Conversation, can_type: bool
    ) -> None:
        self.events, self.can_type = events, can_type
        self._call, self._mic, self._recorder = call, mic, recorder

    async def type_text(self, text: str) -> None:
        await self._call.type_text(text)

    async def say(self, pcm: NDArray[np.int16]) -> None:
        await self._mic.say(pcm)

    def received(self) -> int:
        return len(self._recorder.audio)

    async def quiet_for(self, seconds: float) -> None:
        await self._recorder.quiet_for(seconds)

    def audio(self) -> NDArray[np.int16]:
        return self._recorder.audio


class PhoneLine:
    can_type = False

    def __init__(self, twilio: TwilioCaller, events: Conversation) -> None:
        self.events = events
        self._twilio = twilio

    async def type_text(self, text: str) -> None:
        raise NotImplementedError("a phone line has no text box")  # can_type is False: never asked

    async def say(self, pcm: NDArray[np.int16]) -> None:
        await self._twilio.say(to_mulaw(pcm, SPEECH_RATE))

    def received(self) -> int:
        return self._twilio.heard() * (RATE // PHONE_RATE)

    async def quiet_for(self, seconds: float) -> None:
        await self._twilio.quiet_for(seconds)

    def audio(self) -> NDArray[np.int16]:
        return widen(mulaw_to_pcm(bytes(self._twilio.line)))


def widen(narrow: NDArray[np.int16]) -> NDArray[np.int16]:
    """8 kHz -> 48 kHz (FFmpeg's resampler), exactly six samples per sample so indexes stay times."""
    frame = av.AudioFrame.from_ndarray(narrow.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = PHONE_RATE
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    wide = np.concatenate([f.to_ndarray().reshape(-1) for f in out]) if out else np.zeros(0, dtype=np.int16)
    size = len(narrow) * (RATE // PHONE_RATE)
    return np.pad(wide[:size], (0, max(0, size - len(wide)))).astype(np.int16)


@contextlib.asynccontextmanager
async def webrtc_line(
    url: str, token: str, timeout: float, events: Conversation | None = None, typing: bool = False
) -> AsyncIterator[CallerLine]:
    """A WebRTC call to the gateway's /ws at `url`, media on 127.0.0.1; hangs up on leaving. Its
    events (the data channel's) go to `events`, a new Conversation unless given; with `typing`, the
    call has the page's text box."""
    mic, events = ScriptedMicrophone(), events or Conversation()
    async with dial(url, mic, token=token, timeout=timeout, on_event=events.on_event, ice_addresses=("127.0.0.1",),
                    typing=typing) as call:  # fmt: skip
        call.bye.add_done_callback(lambda _: events.end(call.result.ended_by or "bye"))
        yield WebRtcLine(call, mic, call.result.recorder, events, typing)


@contextlib.asynccontextmanager
async def phone_line(
    base_url: str, auth_token: str, events: Conversation, caller_id: str = WITHHELD
) -> AsyncIterator[CallerLine]:
    """A phone call through the gateway's Twilio bridge at `base_url` (http://127.0.0.1:port):
    the webhook signed with `auth_token`, then the Media Stream; `events` is fed by the eval's gateway."""
    twilio = TwilioCaller(base_url, auth_token, caller=caller_id)
    status, body = await twilio.ring()
    if status != 200 or twilio.stream_url is None:
        raise RuntimeError(f"the voice webhook answered {status}: {body[:200]}")
    await twilio.connect()
    ended = twilio.closed

    async def on_close() -> None:
        await ended.wait()
        events.end("stream_closed")  # the gateway closed the stream: the agent hung up

    watch = asyncio.create_task(on_close())
    try:
        yield PhoneLine(twilio, events)
    finally:
        watch.cancel()
        await twilio.hang_up()
