"""A Deepgram live session's socket, a part of `DeepgramSession` (deepgram_live.py): open it, send
the outbox and read the results until either side ends it, reopen it on the next frame.

A mixin rather than an object of its own: the socket's life moves the session's own timeline
(samples sent, billed, the current socket's base) and finishes its turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import structlog
from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError
from deepgram.listen.v1.client import AsyncV1Client
from deepgram.listen.v1.socket_client import AsyncV1SocketClient
from deepgram.listen.v1.types import ListenV1Error, ListenV1Results, ListenV1SpeechStarted, ListenV1UtteranceEnd
from websockets.exceptions import WebSocketException

from gateway.media.ogg_opus import SAMPLE_RATE, OggOpusWriter
from gateway.media.pcm import IN_RATE
from gateway.providers.stt import SpeechHeard
from gateway.providers.stt.live_outbox import LiveOutbox
from gateway.providers.stt.live_turn import Finalize, LiveTurn

if TYPE_CHECKING:
    from gateway.providers.stt.deepgram_live import LiveSettings

log = structlog.get_logger("gateway.stt.deepgram")
STEADY = 1.0  # s: a socket that lived less was closed at once (bad parameters?): back off before the next


class CloseStream:
    pass


class Refused(Exception):
    pass


class LiveConnection:
    """The socket half of `DeepgramSession`, which sets these in its __init__."""

    _client: AsyncDeepgramClient
    _s: LiveSettings
    _outbox: LiveOutbox
    _ogg: OggOpusWriter
    _pending: deque[LiveTurn]
    _connected: bool
    _closing: bool
    _drop_logged: bool
    _sent_samples: int
    _stream_samples: int
    _socket_base: int
    _settled_until: float
    _on_speech: SpeechHeard | None
    opus: bool
    failed: str
    connections: int
    keepalives: int

    # What the session itself provides.
    @property
    def dropped_frames(self) -> int:
        raise NotImplementedError

    def _finish(self, turn: LiveTurn, answered: bool = False) -> None:
        raise NotImplementedError

    def _bill(self, turn: LiveTurn) -> None:
        raise NotImplementedError

    def _on_results(self, r: ListenV1Results) -> None:
        raise NotImplementedError

    def _on_utterance_end(self, u: ListenV1UtteranceEnd) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        backoff = 0.0
        try:
            while not self._closing:
                while not self._outbox and not self._closing:  # reconnect on the next frame, not before
                    await self._outbox.wait()
                if self._closing:
                    return
                try:
                    lived = await self._connection()
                except Refused:
                    raise
                except Exception:  # a bug, not the network: log it and carry on like after a drop
                    log.exception("deepgram_connection_error")
                    lived = 0.0
                if self._closing:
                    return
                if lived is None:
                    for turn in list(self._pending):  # they cannot be answered soon: return what they have
                        self._finish(turn)
                if lived is not None and lived >= STEADY:
                    backoff = 0.0
                else:  # not opened, or closed at once: do not knock again on every frame
                    backoff = min(5.0, backoff * 2 or 0.25)
                    await asyncio.sleep(backoff)
        except Refused as exc:
            self.failed = str(exc)
            self._outbox.clear()
        finally:
            self._connected = False
            for turn in list(self._pending):
                self._finish(turn)

    async def _connection(self) -> float | None:
        """One socket, from handshake to close: how long it was open (None: it could not be opened)."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(self._s.connect_timeout):
                    socket = await stack.enter_async_context(self._connect())
            except ApiError as exc:
                if exc.status_code in (401, 403):
                    log.error("deepgram_refused", status=exc.status_code, body=exc.body,
                              hint="check DEEPGRAM_API_KEY; turns get empty transcripts")  # fmt: skip
                    raise Refused(f"Deepgram refused the API key ({exc.status_code})") from exc
                log.warning("deepgram_connect_failed", status=exc.status_code, body=exc.body)
                return None
            except (OSError, TimeoutError, WebSocketException) as exc:
                log.warning("deepgram_connect_failed", error=f"{type(exc).__name__}: {exc}")
                return None
            self.connections += 1
            self._connected, self._stream_samples, self._settled_until = True, 0, 0.0
            self._socket_base = self._sent_samples
            if self.opus:
                self._ogg = OggOpusWriter()
                await socket.send_media(self._ogg.headers())
            log.info("deepgram_connected", model=self._s.model, connection=self.connections)
            opened = time.monotonic()
            try:
                reason = await self._serve(socket)
            finally:
                self._lost()
            if not self._closing:
                log.warning("deepgram_disconnected", reason=reason, reconnect="on the next frame")
        return time.monotonic() - opened

    def _connect(self) -> contextlib.AbstractAsyncContextManager[AsyncV1SocketClient]:
        s = self._s
        # Ogg is a container: Deepgram reads encoding, rate and channels from its headers.
        raw: dict[str, Any] = {} if self.opus else {"encoding": "linear16", "sample_rate": IN_RATE, "channels": 1}
        v1: AsyncV1Client = self._client.listen.v1  # the SDK leaves its `listen` and `v1` properties unannotated
        return v1.connect(
            model=s.model, interim_results="true", endpointing=s.endpointing_ms,
            utterance_end_ms=s.utterance_end_ms, vad_events="true", smart_format="true", punctuate="true", **raw,
        )  # fmt: skip

    def _lost(self) -> None:
        self._connected = False
        for turn in list(self._pending):
            if turn.finalize_at is not None:  # its Finalize went down with the socket
                self._finish(turn)
        self._stream_samples, self._settled_until = 0, 0.0

    async def _serve(self, socket: AsyncV1SocketClient) -> str:
        """Send and receive until either side ends; why it ended."""
        sender = asyncio.create_task(self._send(socket))
        receiver = asyncio.create_task(self._receive(socket))
        try:
            done, _ = await asyncio.wait((sender, receiver), return_when=asyncio.FIRST_COMPLETED)
            if sender in done and sender.exception() is None:  # CloseStream sent: let Deepgram flush and close
                await asyncio.wait((receiver,), timeout=self._s.finalize_timeout)
            first = next(iter(done))
            exc = first.exception()
            return f"{type(exc).__name__}: {exc}" if exc is not None else first.result()
        finally:
            for task in (sender, receiver):
                task.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)

    async def _send(self, socket: AsyncV1SocketClient) -> str:
        while True:
            item = await self._outbox.next(self._s.keepalive_seconds)
            if item is None:
                await socket.send_keep_alive()
                self.keepalives += 1
            elif isinstance(item, CloseStream):
                await socket.send_close_stream()
                return "closed by us"
            elif isinstance(item, Finalize):
                await self._send_finalize(socket, item.turn)
            else:
                data = item.data if isinstance(item.data, bytes) else self._ogg.page(item.data)
                try:
                    await socket.send_media(data)
                except BaseException:  # the audio goes out on the next socket
                    self._outbox.put_back(item)
                    raise
                self._stream_samples += item.samples
                self._sent_samples += item.samples
                if self._drop_logged and self._outbox.dropping:
                    self._outbox.sent()
                    self._drop_logged = False
                    log.info("deepgram_audio_flowing", dropped_frames=self.dropped_frames)

    async def _send_finalize(self, socket: AsyncV1SocketClient, turn: LiveTurn) -> None:
        if turn.done.is_set():  # given up on already: its audio counts toward the next turn
            return
        if self._stream_samples == 0:  # a fresh socket has nothing of this turn to flush
            self._finish(turn)
            return
        try:
            await socket.send_finalize()
        except BaseException:
            self._outbox.put_back(Finalize(turn))
            raise
        turn.finalize_at = self._stream_samples / SAMPLE_RATE
        self._bill(turn)

    async def _receive(self, socket: AsyncV1SocketClient) -> str:
        async for message in socket:  # parsed by the SDK; Metadata needs nothing from us
            try:
                if isinstance(message, ListenV1Results):
                    self._on_results(message)
                elif isinstance(message, ListenV1UtteranceEnd):
                    self._on_utterance_end(message)
                elif isinstance(message, ListenV1SpeechStarted) and self._on_speech is not None:
                    self._on_speech()
                elif isinstance(message, ListenV1Error):
                    log.warning("deepgram_error", variant=message.variant, description=message.description)
            except Exception:  # a message we cannot read must not end the call's transcription
                log.exception("deepgram_unreadable_message", kind=type(message).__name__)
        return "closed by Deepgram"
