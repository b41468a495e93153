"""A call carried by a phone bridge's audio socket: the caller's audio in, our speech out, a mark
after each utterance (echoed once played), `clear` when the agent's sound stops for the caller
(barge-in or pause), and the caller's keys (DTMF). What the messages look like is the `Wire`'s
business: Twilio Media Streams (twilio_messages.TwilioWire) or our plain audio socket
(socket_wire.SocketWire); the line's audio format is PhoneIn's and PhoneOut's.

The call (gateway/call.py) sees a MediaLink like any other: 16 kHz frames from `caller_audio`,
its PlayoutTrack played here (paced in real time, so what the playout counts as played is what
the bridge has been given), stats, close. The socket itself is read by `run()`, which the route
awaits: it returns why the stream ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import structlog
from aiohttp import WSMsgType, web

from gateway.call_event_types import CallEvent
from gateway.link.base import PacketTap, StateChanged
from gateway.link.phone import phone_metrics as pm
from gateway.link.phone import wire as tm
from gateway.link.phone.keypad import Keypad
from gateway.link.phone.wire import Wire
from gateway.media.outbound import SILENCE, PlayoutStopped, PlayoutTrack
from gateway.media.pcm import Pcm
from gateway.media.phone_audio import PhoneIn, PhoneOut
from gateway.stats import MediaSummary

log = structlog.get_logger("gateway.link.phone")
BACKLOG_FRAMES = 250  # 5 s of caller audio not yet taken by the turn loop: beyond it, the oldest go
PLAYER_GRACE = 0.1  # at close: for the player to send its last frame and mark
PLAYED_OUT_TIMEOUT = 2.0  # at close: for the bridge to play what it holds (our pacing keeps that short)


class NoEvents:
    """A phone caller has no event channel: the call's events stop here (the records still have it all)."""

    sent = 0

    def send(self, event: CallEvent) -> None:
        pass

    def close(self) -> None:
        pass


class StreamLink:
    passes_opus = False

    def __init__(
        self,
        ws: web.WebSocketResponse,
        wire: Wire,
        line_in: PhoneIn,
        line_out: PhoneOut,
        playout: PlayoutTrack,
        on_connection_state: StateChanged,
        stream_id: str = "",
    ) -> None:
        self._ws = ws
        self._wire = wire
        self.stream_id = stream_id  # the bridge's id for the stream (Twilio's streamSid), for logs
        self._playout = playout
        self._on_connection_state = on_connection_state
        self.events = NoEvents()
        self._in = line_in
        self._out = line_out
        self._frames: asyncio.Queue[Pcm | None] = asyncio.Queue()
        self.keypad = Keypad(_no_entry)  # the call sets where entries go (its turn loop)
        self._marks: dict[str, float] = {}  # mark name -> monotonic time sent
        self._marks_back = asyncio.Event()  # every mark sent has come back: the bridge played all we sent
        self._marks_back.set()
        self._reading = False
        self._mark_seq = 0
        self._last_chunk: int | None = None
        self._closing = False
        self._player: asyncio.Task[None] | None = None
        self.figures = MediaSummary()
        self.marks_played = 0
        self.dropped_frames = 0
        self.ended_by: str | None = None  # why run() returned

    # --- the stream ---------------------------------------------------------------

    async def run(self) -> str:
        """Read the stream until it ends; the reason: "caller_hangup" (`stop`), "stream_closed"
        (the socket went without one), "malformed_stream" (a message broke the protocol), or
        "agent_hangup" (we closed it)."""
        await self._on_connection_state("connected")
        self._player = asyncio.create_task(self._play())
        reason = "stream_closed"
        self._reading = True
        try:
            async for msg in self._ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    message = self._wire.read(msg.data)
                except tm.Malformed as e:
                    reason = self._malformed(e)
                    break
                if isinstance(message, tm.Stop):
                    reason = "caller_hangup"
                    break
                self._take(message)
        finally:
            self._reading = False
            self._frames.put_nowait(None)  # the turn loop's hearing ends
        if self._closing:
            reason = "agent_hangup"
        self.ended_by = reason
        return reason

    def _malformed(self, error: tm.Malformed) -> str:
        pm.STREAM_ERRORS.labels(error.reason).inc()
        log.warning("phone_stream_malformed", wire=self._wire.name, stream_id=self.stream_id, reason=error.reason,
                    detail=str(error)[:120])  # fmt: skip
        return "malformed_stream"

    def _take(self, message: tm.LineMessage) -> None:
        if isinstance(message, tm.Media):
            self._heard(message)
        elif isinstance(message, tm.Mark):
            sent = self._marks.pop(message.name, None)
            if sent is not None:
                self.marks_played += 1
                pm.MARK_ROUND_TRIP.observe(time.monotonic() - sent)
            if not self._marks:
                self._marks_back.set()
        elif isinstance(message, tm.Dtmf):
            pm.DTMF.inc()
            self.keypad.press(message.digit)
        elif isinstance(message, tm.Unknown):
            pm.UNKNOWN_EVENTS.inc()
        # Ignored: nothing to do

    def _heard(self, media: tm.Media) -> None:
        f = self.figures
        f.packets_received += 1
        f.bytes_received += len(media.payload)
        if media.chunk and self._last_chunk is not None and media.chunk > self._last_chunk + 1:
            missed = media.chunk - self._last_chunk - 1
            f.packets_lost_inbound += missed
            pm.GAPS.inc(missed)
        self._last_chunk = media.chunk
        pm.FRAMES.labels("inbound").inc()
        for frame in self._in.frames(media.payload):
            if self._frames.qsize() >= BACKLOG_FRAMES:
                self._frames.get_nowait()
                self.dropped_frames += 1
            self._frames.put_nowait(frame)

    async def _play(self) -> None:
        """The playout, paced, in the line's encoding: silence is not sent (a bridge plays silence
        when it has nothing)."""
        try:
            while True:
                speaking = self._playout.current
                stops = self._playout.stops
                frame, _ = await self._playout.next_frame()
                if self._playout.stops != stops and (clear := self._wire.clear()) is not None:
                    await self._send(clear)  # drop what the bridge still holds of it
                    pm.CLEARS.inc()
                if frame is not SILENCE:
                    audio = self._out.opus(frame) if isinstance(frame, bytes) else self._out.pcm(frame)
                    if audio:
                        await self._send(self._wire.media(audio))
                        self.figures.packets_sent += 1
                        self.figures.bytes_sent += len(audio)
                        pm.FRAMES.labels("outbound").inc()
                if speaking is not None and self._playout.current is not speaking:
                    await self._mark()  # that utterance's last sound is out: know when it is heard
        except (PlayoutStopped, ConnectionError):
            pass  # the call stopped its playout, or the socket is gone

    async def _mark(self, name: str | None = None) -> None:
        self._mark_seq += 1
        name = name or f"u{self._mark_seq}"
        message = self._wire.mark(name)
        if message is None:
            return  # a wire without marks: nothing to wait for
        self._marks[name] = time.monotonic()
        self._marks_back.clear()
        await self._send(message)

    async def _send(self, message: str | bytes) -> None:
        if self._ws.closed:
            raise ConnectionError("stream socket closed")
        try:
            if isinstance(message, bytes):
                await self._ws.send_bytes(message)
            else:
                await self._ws.send_str(message)
        except (ConnectionError, RuntimeError) as e:  # aiohttp: closing transport
            self.figures.send_errors += 1
            raise ConnectionError(str(e)) from None

    # --- MediaLink ----------------------------------------------------------------

    async def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]:
        while (frame := await self._frames.get()) is not None:
            yield frame

    async def caller_packets(self) -> AsyncIterator[bytes | None]:
        """A phone line carries no Opus (passes_opus is False): the turn loop never asks for this."""
        return
        yield  # an async generator that ends at once

    async def stats(self) -> MediaSummary:
        return MediaSummary(**{**self.figures.as_dict(), "media_dropped": {"backlog": self.dropped_frames}})

    async def close(self) -> None:
        """End the stream from our side (idempotent): the bridge then ends the phone call (Twilio
        goes on with the TwiML after <Connect>, which is nothing). A goodbye is heard to its end
        first: on a wire with marks, the socket closes once a last mark is reported played."""
        if self._closing:
            return
        self._closing = True
        self.keypad.close()
        if self._player is not None and self._player is not asyncio.current_task():
            # The call has stopped the playout: the player sends its last frame and mark, and ends.
            done, _ = await asyncio.wait({self._player}, timeout=PLAYER_GRACE)
            if not done:
                self._player.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._player
        if self._reading and not self._ws.closed:  # the caller is still there (no `stop`)
            with contextlib.suppress(ConnectionError, TimeoutError):
                await self._mark("end")
                await asyncio.wait_for(self._marks_back.wait(), PLAYED_OUT_TIMEOUT)
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._on_connection_state = _ignore_state


async def _ignore_state(_state: str) -> None:
    pass


def _no_entry(_entry: str) -> None:
    pass
