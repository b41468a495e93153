"""Twilio's side of a phone call, speaking Twilio's real wire protocols: a phone caller for tests,
evals and benchmarks (tests/fakes/twilio_standin.py adds Twilio's REST API and callbacks).

It rings the gateway like Twilio does (a form POST to the voice webhook, signed with
X-Twilio-Signature by the official SDK's RequestValidator over the URL and the form), reads the
TwiML answer, opens the `<Stream>` socket and speaks Media Streams to it: `connected`, `start` (with
the TwiML's custom parameters), `media` every 20 ms in real time (the caller's lines as 8 kHz
μ-law, silence between them, as Twilio streams), `dtmf`, `stop`. What comes back is played on a
real-time clock: `mark`s are echoed once the audio before them has played, `clear` drops what is
still buffered (and echoes its marks at once). Everything is recorded: what was played, and the
line as the caller's ear had it (`line`: 20 ms of μ-law per 20 ms since `start`, silence where
nothing played), so a sample's index there is its time.

Its audio path is its own (FFmpeg's resampler and pcm_mulaw codec through PyAV, G.711 decoding
below), none of the gateway's code: the caller imports nothing of the house.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import av
import numpy as np
from numpy.typing import NDArray
from twilio.request_validator import RequestValidator

RATE = 8_000
FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
SILENCE = b"\xff" * FRAME_BYTES  # μ-law's zero
FRAME_SECONDS = 0.02
VOICED = 500  # a frame louder than this (linear, 16 bit) carries the agent's voice


def mulaw_to_pcm(mulaw: bytes) -> NDArray[np.int16]:
    """G.711 μ-law -> linear 16 bit (ITU-T G.711's expansion; the phone's own decoder)."""
    u = ~np.frombuffer(mulaw, dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def to_mulaw(pcm: NDArray[np.int16], rate: int) -> bytes:
    """Mono int16 at `rate` -> 8 kHz μ-law, as a phone network carries it."""
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    narrow = [*resampler.resample(frame), *resampler.resample(None)]
    codec = av.CodecContext.create("pcm_mulaw", "w")
    codec.sample_rate, codec.layout, codec.format = RATE, "mono", "s16"
    out = b"".join(bytes(p) for f in narrow for p in codec.encode(f))
    return out + b"".join(bytes(p) for p in codec.encode(None))


@dataclass
class Mark:
    name: str


@dataclass
class Received:
    """What the gateway sent, as the stand-in heard it."""

    media_messages: int = 0
    played: bytearray = field(default_factory=bytearray)  # μ-law actually played (not cleared)
    cleared_bytes: int = 0  # buffered audio dropped by `clear`
    clears: int = 0
    marks: list[str] = field(default_factory=list)  # echoed back, in order
    unknown: list[dict[str, Any]] = field(default_factory=list)


class TwilioCaller:
    def __init__(self, base_url: str, auth_token: str, *, caller: str = "+15123794680",
                 called: str = "+15005550006") -> None:  # fmt: skip
        self.base_url = base_url
        self.auth_token = auth_token
        self.caller, self.called = caller, called
        self.account_sid = "AC" + uuid.uuid4().hex
        self.call_sid = "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.received = Received()
        self.stream_url: str | None = None
        self.parameters: dict[str, str] = {}
        self.close_code: int | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._lines: asyncio.Queue[tuple[bytes, asyncio.Future[None]]] = asyncio.Queue()
        self._buffer: deque[bytes | Mark] = deque()
        self._played_now = asyncio.Event()
        self._sequence = 0
        self._chunk = 0
        self._started_at = 0.0
        self.closed = asyncio.Event()
        self.cleared = asyncio.Event()  # a `clear` came
        self.line = bytearray()  # what the caller's ear had, μ-law on the clock (see _to_ear)
        self.quiet_frames = 0  # frames since the last voiced one on the line
        self._ticked = asyncio.Event()
        self.reply_started_at = 0.0

    # --- the webhook ------------------------------------------------------------

    def webhook_form(self) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "CallSid": self.call_sid,
            "CallStatus": "ringing", "Called": self.called, "Caller": self.caller, "Direction": "inbound",
            "From": self.caller, "FromCountry": "US", "To": self.called, "ToCountry": "US",
        }  # fmt: skip

    def signature(self, url: str, form: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, form))

    async def ring(self, *, signature: str | None = None) -> tuple[int, str]:
        """POST the voice webhook (signed unless `signature` is given): the status and body; the
        TwiML's stream and its parameters are noted."""
        url = self.base_url + "/telephony/twilio/voice"
        form = self.webhook_form()
        headers = {"X-Twilio-Signature": self.signature(url, form) if signature is None else signature}
        async with aiohttp.ClientSession() as session, session.post(url, data=form, headers=headers) as response:
            status, body = response.status, await response.text()
        if status == 200:
            stream = ET.fromstring(body).find("./Connect/Stream")
            if stream is not None:
                self.stream_url = stream.get("url")
                self.parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
        return status, body

    # --- an outbound call: the callee's side ---------------------------------------

    def answer(self, twiml: str) -> None:
        """The callee picks up: Twilio runs the TwiML the call was created with (its `<Stream>`)."""
        stream = ET.fromstring(twiml).find("./Connect/Stream")
        assert stream is not None, twiml
        self.stream_url = stream.get("url")
        self.parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}

    # --- the media stream -------------------------------------------------------

    async def connect(self, *, parameters: dict[str, str] | None = None, start: bool = True,
                      media: bool = True) -> None:  # fmt: skip
        """Open the stream socket the TwiML named and send `connected` and `start`; then speak, listen
        and play (`media=False`: nothing more, the caller drives `ws` itself, as the load callers do)."""
        assert self.stream_url is not None, "ring() first: the TwiML names the stream"
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.stream_url)
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        if not start:
            return
        await self.send({
            "event": "start", "sequenceNumber": self._next_sequence(), "streamSid": self.stream_sid,
            "start": {
                "accountSid": self.account_sid, "streamSid": self.stream_sid, "callSid": self.call_sid,
                "tracks": ["inbound"], "customParameters": self.parameters if parameters is None else parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1},
            },
        })  # fmt: skip
        self._started_at = time.monotonic()
        if not media:
            return
        self._tasks = [asyncio.create_task(self._speak()), asyncio.create_task(self._listen()),
                       asyncio.create_task(self._play())]  # fmt: skip

    @property
    def ws(self) -> aiohttp.ClientWebSocketResponse:
        """The stream socket, for a caller that drives the media itself (connect(media=False))."""
        assert self._ws is not None, "connect() first"
        return self._ws

    async def send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send_str(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        assert self._ws is not None
        await self._ws.send_str(text)

    def _next_sequence(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    async def say(self, mulaw: bytes) -> None:
        """Speak a line (8 kHz μ-law) in real time; returns once all of it has been sent."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._lines.put((mulaw, done))
        await done

    async def press(self, keys: str) -> None:
        for key in keys:
            await self.send({"event": "dtmf", "streamSid": self.stream_sid, "sequenceNumber": self._next_sequence(),
                             "dtmf": {"track": "inbound_track", "digit": key}})  # fmt: skip

    async def hang_up(self) -> None:
        """The caller hangs up: `stop`, then Twilio closes the socket."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.send({"event": "stop", "sequenceNumber": self._next_sequence(), "streamSid": self.stream_sid,
                             "stop": {"accountSid": self.account_sid, "callSid": self.call_sid}})  # fmt: skip
        await self.close()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def _speak(self) -> None:
        """One media message every 20 ms on a real-time clock: the line being said, else silence."""
        line, done, at = b"", None, 0
        while not self._ws_closed():
            if done is None and not self._lines.empty():
                line, done = self._lines.get_nowait()
                at = 0
            payload = line[at : at + FRAME_BYTES] if done is not None else SILENCE
            payload = payload.ljust(FRAME_BYTES, b"\xff")
            if done is not None:
                at += FRAME_BYTES
                if at >= len(line):
                    done.set_result(None)
                    done = None
            self._chunk += 1
            try:
                await self.send({
                    "event": "media", "sequenceNumber": self._next_sequence(), "streamSid": self.stream_sid,
                    "media": {"track": "inbound", "chunk": str(self._chunk),
                              "timestamp": str(int((time.monotonic() - self._started_at) * 1000)),
                              "payload": base64.b64encode(payload).decode()},
                })  # fmt: skip
            except (ConnectionError, RuntimeError):
                return
            due = self._started_at + self._chunk * FRAME_SECONDS
            await asyncio.sleep(max(0.0, due - time.monotonic()))  # real-time pacing of the caller's audio

    def _ws_closed(self) -> bool:
        return self._ws is None or self._ws.closed

    async def _listen(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                message = json.loads(msg.data)
                event = message.get("event")
                if event == "media":
                    assert message["streamSid"] == self.stream_sid
                    payload = base64.b64decode(message["media"]["payload"])
                    self.received.media_messages += 1
                    for i in range(0, len(payload), FRAME_BYTES):
                        self._buffer.append(payload[i : i + FRAME_BYTES])
                elif event == "mark":
                    self._buffer.append(Mark(message["mark"]["name"]))
                elif event == "clear":
                    self.received.clears += 1
                    self.cleared.set()
                    for item in list(self._buffer):
                        if isinstance(item, Mark):
                            await self._echo(item)
                        else:
                            self.received.cleared_bytes += len(item)
                    self._buffer.clear()
                else:
                    self.received.unknown.append(message)
        finally:
            self.close_code = self._ws.close_code
            self.closed.set()

    async def _play(self) -> None:
        """The phone's speaker: 20 ms of what was sent per 20 ms of time; marks echoed as reached."""
        next_at = time.monotonic()
        while True:
            while self._buffer and isinstance(self._buffer[0], Mark):
                await self._echo(self._buffer.popleft())  # type: ignore[arg-type]
            chunk: bytes | None = None
            if self._buffer:
                item = self._buffer.popleft()
                assert isinstance(item, bytes)
                chunk = item
                self.received.played += chunk
                self._played_now.set()
            self._to_ear(chunk)
            next_at = max(next_at + FRAME_SECONDS, time.monotonic() - FRAME_SECONDS)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))  # the speaker's real-time clock

    def _to_ear(self, chunk: bytes | None) -> None:
        """The line as heard, kept on the clock: silence up to now, then this frame."""
        due = int((time.monotonic() - self._started_at) / FRAME_SECONDS)
        missing = due - len(self.line) // FRAME_BYTES - 1
        if missing > 0:
            self.line += SILENCE * missing
            self.quiet_frames += missing
        frame = SILENCE if chunk is None else chunk.ljust(FRAME_BYTES, b"\xff")
        self.line += frame
        voiced = chunk is not None and int(np.abs(mulaw_to_pcm(frame)).max()) > VOICED
        self.quiet_frames = 0 if voiced else self.quiet_frames + 1
        self._ticked.set()

    def heard(self) -> int:
        """Samples (8 kHz) of the line heard so far: the caller's clock since `start`."""
        return len(self.line)

    async def quiet_for(self, seconds: float) -> None:
        """Until the agent has been quiet for `seconds` on the line, with nothing left to play."""
        while self.quiet_frames * FRAME_SECONDS < seconds or self._buffer:
            self._ticked.clear()
            await self._ticked.wait()

    async def _echo(self, mark: Mark) -> None:
        self.received.marks.append(mark.name)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.send({"event": "mark", "sequenceNumber": self._next_sequence(), "streamSid": self.stream_sid,
                             "mark": {"name": mark.name}})  # fmt: skip

    async def agent_speaks(self, *, seconds: float = 0.0, timeout: float = 30.0) -> None:
        """Wait for the agent's next sound to play (`seconds` of it)."""
        start = len(self.received.played)
        async with asyncio.timeout(timeout):
            while len(self.received.played) <= start + seconds * RATE:
                self._played_now.clear()
                await self._played_now.wait()
        self.reply_started_at = time.monotonic()  # (seconds=0) the first sound heard: voice-to-voice ends here

    async def hear_reply(self, *, quiet: float = 2.0, timeout: float = 60.0) -> bytes:
        """Wait like a caller: for the agent to start talking, then until it has been quiet for
        `quiet` seconds with nothing left to play; returns the μ-law heard meanwhile."""
        start = len(self.received.played)
        await self.agent_speaks(timeout=timeout)
        async with asyncio.timeout(timeout):
            while True:
                self._played_now.clear()
                try:
                    await asyncio.wait_for(self._played_now.wait(), quiet)
                except TimeoutError:
                    if not self._buffer:
                        return bytes(self.received.played[start:])
