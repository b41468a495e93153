"""A local server that speaks Deepgram's wire protocol, so the Deepgram adapters are tested
through the real deepgram-sdk without Deepgram's cloud (unreachable from tests, and billed).

- `/v1/listen` (WebSocket): `Authorization: Token <key>` or 401; query parameters checked
  like Deepgram does (400 otherwise); binary audio counted: raw linear16, or, without an
  `encoding` (containerised audio), an Ogg Opus stream, demuxed here page by page (CRC checked
  with its own table, not the gateway's code) and decoded with libopus; `KeepAlive`, `Finalize` and
  `CloseStream` handled; `Results`, `SpeechStarted`, `UtteranceEnd` and `Metadata` sent back;
  the socket is closed with 1011 (NET-0001) when neither audio nor a message arrives in time.
- `/v1/speak` (POST): query and `{"text": ...}` body checked; raw linear16 (or WAV) of the
  requested rate, as long as the text asks for.

What it "recognises" is scripted: each turn (the audio up to a `Finalize`) is given the next
transcript of `transcripts`; with `endpointing=True` it also ends turns itself like Deepgram's
endpointing (a final with `speech_final` once `endpointing` ms of silence follow speech, judged
by the level of each 20 ms; `SpeechStarted` at each onset, with `vad_events`); an interim with
the first half of its words is sent once the turn has `interim_after` seconds of audio (not with
`endpointing`), the final (`from_finalize`) upon `Finalize`. With `script`, every connection hears
its own copy of the transcripts from the first (several calls at once, each saying the same lines).

Delays (0 by default, so tests run at loopback speed; bench/turn_latency_cloud.py sets realistic
ones and says what they are based on): `finalize_delay`, the time between a `Finalize` and its final
result (the model's last audio recognised, and the network both ways); `speak_delay`, the time from
a /v1/speak request to its first byte (Aura's time to first byte, network included). Both are real
waits on the server side: the simulated service taking its time, not a wait for the client's state.

Every JSON message it sends is first checked against the SDK's own pydantic type, including
that it carries no field the type lacks: the SDK keeps a misspelt flag as an "extra" field
and never reads it, so a wrong shape fails here rather than passing unnoticed.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import typing
import uuid
import wave
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import av
import numpy as np
from aiohttp import WSMsgType, web
from deepgram.listen.v1.types import (
    ListenV1Error,
    ListenV1Metadata,
    ListenV1Results,
    ListenV1SpeechStarted,
    ListenV1UtteranceEnd,
)
from pydantic import BaseModel

from proc.ports import free_port
from tests.fakes.ogg import ogg_opus

KEY = "test-deepgram-key"
BYTES_PER_SECOND = 16_000 * 2  # what the tests stream: 16 kHz mono linear16
LISTEN_ENCODINGS = {"linear16", "linear32", "flac", "alaw", "mulaw", "amr-nb", "amr-wb", "opus", "ogg-opus", "speex"}
BOOLEAN_PARAMS = ("interim_results", "vad_events", "smart_format", "punctuate", "diarize", "multichannel", "numerals")
SPEAK_RATES = {8000, 16000, 24000, 32000, 48000}  # linear16, per Deepgram's format combinations
IDLE_REASON = "NET-0001: no audio or text message within the timeout window"


@dataclass
class Listener:
    """One /v1/listen connection, as the server saw it."""

    params: dict[str, str]
    audio: bytearray = field(default_factory=bytearray)
    controls: list[str] = field(default_factory=list)  # types of the text messages received, in order
    close_code: int | None = None  # how the server ended it (1000 after CloseStream, 1011 idle/dropped)
    ogg: OggOpusReader | None = None  # containerised audio: what the Ogg stream held

    @property
    def audio_seconds(self) -> float:
        return len(self.audio) / BYTES_PER_SECOND


@dataclass(frozen=True)
class SpeakRequest:
    params: dict[str, str]
    text: str
    content_type: str


class FakeDeepgram:
    def __init__(
        self,
        api_key: str = KEY,
        transcripts: Iterable[str] = (),
        confidence: float = 0.93,
        interim_after: float = 0.2,
        idle_timeout: float = 10.0,
        answer_finalize: bool = True,
        finalize_gate: asyncio.Event | None = None,
        seconds_per_char: float = 0.05,
        endpointing: bool = False,
        script: Iterable[str] | None = None,
        finalize_delay: float = 0.0,
        speak_delay: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.transcripts: deque[str] = deque(transcripts)
        self.confidence = confidence
        self.interim_after = interim_after
        self.idle_timeout = idle_timeout
        self.answer_finalize = answer_finalize  # False: Finalize is ignored (Deepgram does not promise a reply)
        self.finalize_gate = finalize_gate  # a slow Deepgram: Finalize is answered once the test sets it
        self.seconds_per_char = seconds_per_char
        self.endpointing = endpointing
        self.script = None if script is None else tuple(script)  # each connection's own transcripts
        self.finalize_delay = finalize_delay
        self.speak_delay = speak_delay
        self.listeners: list[Listener] = []
        self.rejected: list[int] = []  # status of every refused handshake or request
        self.speak_requests: list[SpeakRequest] = []
        self.url = ""
        self._sockets: dict[web.WebSocketResponse, Listener] = {}
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> typing.AsyncIterator[FakeDeepgram]:
        app = web.Application()
        app.router.add_get("/v1/listen", self._listen)
        app.router.add_post("/v1/speak", self._speak)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await self.drop(code=1001)
            await self._runner.cleanup()

    async def drop(self, code: int = 1011) -> None:
        """End every open live socket from the server side (1011: Deepgram's internal error);
        returns once the client has answered the close."""
        for ws, listener in list(self._sockets.items()):
            await ws.close(code=code, message=b"dropped by the fake")
            listener.close_code = code

    # --- /v1/listen ---------------------------------------------------------------

    async def _listen(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return self._refuse(401, "INVALID_AUTH", "Invalid credentials.")
        problem = _listen_problem(request.query)
        if problem:
            return self._refuse(400, "INVALID_QUERY_PARAMETER", problem)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        listener = Listener(params=dict(request.query))
        if "encoding" not in request.query:
            listener.ogg = OggOpusReader()
        self.listeners.append(listener)
        self._sockets[ws] = listener
        try:
            await _Stream(self, ws, listener).serve()
        finally:
            self._sockets.pop(ws, None)
            if listener.close_code is None:
                listener.close_code = ws.close_code
        return ws

    # --- /v1/speak ----------------------------------------------------------------

    async def _speak(self, request: web.Request) -> web.StreamResponse:
        asked_at = asyncio.get_running_loop().time()
        if not self._authorized(request):
            return self._refuse(401, "INVALID_AUTH", "Invalid credentials.")
        q = request.query
        try:
            body = await request.json()
        except ValueError:
            return self._refuse(400, "INVALID_BODY", "The body must be JSON.")
        if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
            return self._refuse(400, "INVALID_BODY", 'The body must be {"text": "..."}.')
        text = body["text"]
        if not text.strip():
            return self._refuse(400, "INVALID_BODY", "Text is empty.")
        if not q.get("model", "aura-2-thalia-en").startswith("aura"):
            return self._refuse(400, "INVALID_QUERY_PARAMETER", f"Unknown model {q.get('model')!r}.")
        encoding = q.get("encoding", "linear16")
        if encoding not in ("linear16", "opus"):
            return self._refuse(400, "INVALID_QUERY_PARAMETER", "The fake speaks linear16 and opus.")
        container = q.get("container", "wav" if encoding == "linear16" else "ogg")
        rate_text = q.get("sample_rate", "24000" if encoding == "linear16" else "48000")
        formats = ("none", "wav") if encoding == "linear16" else ("ogg",)
        rates = SPEAK_RATES if encoding == "linear16" else {48000}  # Aura's Opus is 48 kHz only
        if container not in formats or not rate_text.isdigit() or int(rate_text) not in rates:
            return self._refuse(400, "UNSUPPORTED_AUDIO_FORMAT", f"container={container} sample_rate={rate_text}")
        self.speak_requests.append(SpeakRequest(dict(q), text, request.content_type))
        rate = int(rate_text)
        samples = tone(round(len(text) * self.seconds_per_char * rate), rate)
        audio = samples.tobytes()
        if container == "wav":
            audio = _wav(audio, rate)
        elif container == "ogg":
            audio = ogg_opus(samples)
        response = web.StreamResponse(headers={
            "Content-Type": {"wav": "audio/wav", "ogg": "audio/ogg"}.get(container, "application/octet-stream"),
            "dg-model-name": q.get("model", "aura-2-thalia-en"),
            "dg-char-count": str(len(text)),
            "dg-request-id": str(uuid.uuid4()),
        })  # fmt: skip
        # The simulated service's time to first byte (the synthesis above counts towards it).
        await asyncio.sleep(max(0.0, self.speak_delay - (asyncio.get_running_loop().time() - asked_at)))
        await response.prepare(request)
        for at in range(0, len(audio), 4001):  # odd-sized chunks: the client must join before decoding
            await response.write(audio[at : at + 4001])
        await response.write_eof()
        return response

    # --- helpers ------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Token {self.api_key}"

    def _refuse(self, status: int, code: str, message: str) -> web.Response:
        self.rejected.append(status)
        body = {"err_code": code, "err_msg": message, "request_id": str(uuid.uuid4())}
        return web.json_response(body, status=status, headers={"dg-error": message})


class _Stream:
    """One live connection: audio in, scripted recognition out."""

    def __init__(self, fake: FakeDeepgram, ws: web.WebSocketResponse, listener: Listener) -> None:
        self.fake = fake
        self.ws = ws
        self.listener = listener
        self.transcripts = fake.transcripts if fake.script is None else deque(fake.script)
        self.request_id = str(uuid.uuid4())
        self.turn_from = 0  # byte offset where the current turn's audio starts
        self.interim_sent = False
        self.speaking = False  # endpointing: speech heard and not yet ended by silence
        self.quiet_ms = 0.0
        self.judged = 0  # byte offset up to which 20 ms frames were judged voiced or not

    async def serve(self) -> None:
        while not self.ws.closed:
            try:
                msg = await self.ws.receive(timeout=self.fake.idle_timeout)
            except TimeoutError:
                await self.ws.close(code=1011, message=IDLE_REASON.encode())
                self.listener.close_code = 1011  # once the client has answered the close
                return
            if msg.type == WSMsgType.BINARY:
                await self._audio(msg.data)
            elif msg.type == WSMsgType.TEXT:
                if not await self._control(msg.data):
                    return
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                return

    async def _audio(self, data: bytes) -> None:
        if self.listener.ogg is not None:
            try:
                data = self.listener.ogg.feed(data)
            except ValueError as exc:  # Deepgram cannot tell what the audio is: it gives up on the stream
                await self._send(ListenV1Error, {"type": "Error", "variant": "DataError", "description": str(exc),
                                                 "message": "DATA-0000"})  # fmt: skip
                await self.ws.close(code=1011, message=b"DATA-0000")
                self.listener.close_code = 1011
                return
            if not data:
                return
        if self.fake.endpointing:
            self.listener.audio += data
            await self._endpoint()
            return
        if len(self.listener.audio) == self.turn_from and self.listener.params.get("vad_events") == "true":
            await self._send(ListenV1SpeechStarted, {"type": "SpeechStarted", "channel": [0, 1],
                                                     "timestamp": self._seconds(self.turn_from)})  # fmt: skip
        self.listener.audio += data
        turn_seconds = self._seconds(len(self.listener.audio) - self.turn_from)
        interims = self.listener.params.get("interim_results") == "true"
        if interims and not self.interim_sent and self.transcripts and turn_seconds >= self.fake.interim_after:
            words = self.transcripts[0].split()
            await self._results(" ".join(words[: max(1, len(words) // 2)]), is_final=False)
            self.interim_sent = True

    async def _endpoint(self) -> None:
        """Deepgram's endpointing, roughly: onsets and ends of speech by the level of each 20 ms."""
        audio, frame = self.listener.audio, 640
        limit = float(self.listener.params.get("endpointing", "10"))
        while self.judged + frame <= len(audio):
            pcm = np.frombuffer(bytes(audio[self.judged : self.judged + frame]), "<i2").astype(np.float64)
            self.judged += frame
            voiced = float(np.sqrt(np.mean(pcm**2))) > 500
            if voiced and not self.speaking:
                self.speaking, self.quiet_ms = True, 0.0
                if self.listener.params.get("vad_events") == "true":
                    at = self._seconds(self.judged - frame)
                    onset = {"type": "SpeechStarted", "channel": [0, 1], "timestamp": at}
                    await self._send(ListenV1SpeechStarted, onset)
            elif self.speaking:
                self.quiet_ms = 0.0 if voiced else self.quiet_ms + 20
                if self.quiet_ms >= limit:
                    self.speaking = False
                    await self._finalize(from_finalize=False, speech_final=True, upto=self.judged)

    async def _control(self, raw: str) -> bool:
        """Handle one text message; False once the connection is over."""
        try:
            kind = _json_type(raw)
        except ValueError:
            kind = ""
        self.listener.controls.append(kind or raw)
        if kind == "KeepAlive":
            return True
        if kind == "Finalize":
            if self.fake.finalize_gate is not None:
                await self.fake.finalize_gate.wait()
            if self.fake.answer_finalize:
                end = len(self.listener.audio)  # the turn is what came before the Finalize
                await asyncio.sleep(self.fake.finalize_delay)  # the simulated service working, then answering
                await self._finalize(from_finalize=True, upto=end)
            return True
        if kind == "CloseStream":
            await self._finalize(from_finalize=False)  # Deepgram flushes what it has, then says goodbye
            await self._send(ListenV1Metadata, {
                "type": "Metadata", "transaction_key": "deprecated", "request_id": self.request_id,
                "sha256": hashlib.sha256(self.listener.audio).hexdigest(),
                "created": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "duration": self._seconds(len(self.listener.audio)), "channels": 1,
            })  # fmt: skip
            await self.ws.close(code=1000)
            self.listener.close_code = 1000
            return False
        await self._send(ListenV1Error, {"type": "Error", "variant": "SchemaError",
                                         "description": "Unknown message type.", "message": raw})  # fmt: skip
        return True

    async def _finalize(self, from_finalize: bool, speech_final: bool = False, upto: int | None = None) -> None:
        """The current turn's final result, up to byte `upto` of the audio (default: all of it);
        nothing when the turn has no audio, as Deepgram may do."""
        end = len(self.listener.audio) if upto is None else upto
        if end == self.turn_from:
            return
        text = self.transcripts.popleft() if self.transcripts else ""
        words = await self._results(text, is_final=True, from_finalize=from_finalize, speech_final=speech_final,
                                    upto=end)  # fmt: skip
        if words and self.listener.params.get("utterance_end_ms"):
            await self._send(ListenV1UtteranceEnd, {"type": "UtteranceEnd", "channel": [0, 1],
                                                    "last_word_end": words[-1]["end"]})  # fmt: skip
        self.turn_from = end
        self.interim_sent = False

    async def _results(self, text: str, is_final: bool, from_finalize: bool = False,
                       speech_final: bool = False, upto: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        start = self._seconds(self.turn_from)
        end = self._seconds(len(self.listener.audio) if upto is None else upto)
        words = _words(text, start, end, self.fake.confidence)
        await self._send(ListenV1Results, {
            "type": "Results", "channel_index": [0, 1], "duration": round(end - start, 6), "start": start,
            "is_final": is_final, "speech_final": speech_final, "from_finalize": from_finalize,
            "channel": {"alternatives": [{"transcript": text, "confidence": self.fake.confidence if text else 0.0,
                                          "words": words}]},
            "metadata": {"request_id": self.request_id, "model_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "fake")),
                         "model_info": {"name": "general-nova-3", "version": "2025-01-01.0",
                                        "arch": self.listener.params.get("model", "nova-3")}},
        })  # fmt: skip
        return words

    async def _send(self, model: type[BaseModel], message: dict[str, Any]) -> None:
        check_shape(model, message)
        if not self.ws.closed:
            await self.ws.send_json(message)

    @staticmethod
    def _seconds(n_bytes: int) -> float:
        return round(n_bytes / BYTES_PER_SECOND, 6)


def check_shape(model: type[BaseModel], message: Mapping[str, Any], path: str = "") -> None:
    """Raise unless `message` parses as the SDK's `model` and has no field the model lacks."""
    if not path:
        model.model_validate(message)
    fields = model.model_fields
    for key, value in message.items():
        if key not in fields:
            raise ValueError(f"{path}{key} is not a field of the SDK's {model.__name__}")
        for inner in _models_in(fields[key].annotation):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Mapping):
                    check_shape(inner, item, f"{path}{key}.")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _words(text: str, start: float, end: float, confidence: float) -> list[dict[str, Any]]:
    parts = text.split()
    step = (end - start) / max(1, len(parts))
    return [
        {"word": re.sub(r"[^\w']", "", p).lower(), "start": round(start + i * step, 3),
         "end": round(start + (i + 1) * step, 3), "confidence": confidence, "punctuated_word": p}
        for i, p in enumerate(parts)
    ]  # fmt: skip


def _json_type(raw: str) -> str:
    data = json.loads(raw)
    return str(data.get("type", "")) if isinstance(data, dict) else ""


def _listen_problem(q: Mapping[str, str]) -> str:
    """What Deepgram would refuse in the query of a live connection ("" when it is fine)."""
    if not q.get("model"):
        return "model is required"
    encoding = q.get("encoding")
    if encoding is not None:
        if encoding not in LISTEN_ENCODINGS:
            return f"unknown encoding {encoding!r}"
        if not q.get("sample_rate", "").isdigit():
            return "sample_rate is required with encoding"
    for name in BOOLEAN_PARAMS:
        if name in q and q[name] not in ("true", "false"):
            return f"{name} must be true or false, not {q[name]!r}"
    if "channels" in q and not q["channels"].isdigit():
        return "channels must be an integer"
    if "endpointing" in q and not (q["endpointing"].isdigit() or q["endpointing"] == "false"):
        return "endpointing must be milliseconds or false"
    if "utterance_end_ms" in q:
        if not q["utterance_end_ms"].isdigit():
            return "utterance_end_ms must be milliseconds"
        if q.get("interim_results") != "true":
            return "utterance_end_ms needs interim_results=true"
    return ""


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_page_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[(crc >> 24) ^ byte]
    return crc


class OggOpusReader:
    """An Ogg Opus byte stream, fed in any pieces -> 16 kHz linear16 (every third 48 kHz sample).

    Raises ValueError on what a decoder could not read: no capture pattern, a bad CRC, no
    OpusHead first. What it saw is kept for tests: headers, pages, packets, granule positions."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._decoder = av.CodecContext.create("libopus", "r")
        self._decoder.layout, self._decoder.format = "mono", "s16"
        self.head: bytes = b""
        self.tags: bytes = b""
        self.pages = 0
        self.packets = 0
        self.samples_48k = 0
        self.granules: list[int] = []
        self.serials: set[int] = set()

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while len(self._buffer) >= 27:
            if self._buffer[:4] != b"OggS":
                raise ValueError("not an Ogg stream (no OggS capture pattern)")
            segments = self._buffer[26]
            lacing = self._buffer[27 : 27 + segments]
            size = 27 + segments + sum(lacing)
            if len(lacing) < segments or len(self._buffer) < size:
                break
            page, self._buffer = bytes(self._buffer[:size]), self._buffer[size:]
            out += self._page(page, lacing)
        return bytes(out)

    def _page(self, page: bytes, lacing: bytearray) -> bytes:
        crc = int.from_bytes(page[22:26], "little")
        if ogg_page_crc(page[:22] + b"\0\0\0\0" + page[26:]) != crc:
            raise ValueError(f"Ogg page {self.pages} fails its CRC")
        self.pages += 1
        self.serials.add(int.from_bytes(page[14:18], "little"))
        packets, body, start = [], page[27 + len(lacing) :], 0
        size = 0
        for value in lacing:
            size += value
            if value < 255:
                packets.append(body[start : start + size])
                start, size = start + size, 0
        if not self.head:
            if not packets or not packets[0].startswith(b"OpusHead"):
                raise ValueError("the first Ogg page must hold OpusHead")
            self.head = packets[0]
            return b""
        if not self.tags:
            self.tags = packets[0] if packets else b""
            return b""
        self.granules.append(int.from_bytes(page[6:14], "little", signed=True))
        pcm = bytearray()
        for packet in packets:
            self.packets += 1
            for frame in self._decoder.decode(av.Packet(packet)):
                samples = frame.to_ndarray().reshape(-1)
                self.samples_48k += len(samples)
                pcm += samples[::3].astype("<i2").tobytes()
        return bytes(pcm)


def tone(samples: int, rate: int, hz: float = 220.0) -> np.ndarray[Any, np.dtype[np.int16]]:
    t = np.arange(samples) / rate
    return (np.sin(2 * np.pi * hz * t) * 8000).astype("<i2")


def _wav(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()
