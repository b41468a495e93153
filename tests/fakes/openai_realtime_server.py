"""A local server that speaks OpenAI's Realtime WebSocket protocol (the GA events, as the
`openai` SDK 3.x models them in `openai.types.realtime`), for the realtime engine's tests.
Not the live service: the event sequences follow OpenAI's documentation.

- GET /v1/realtime?model=... upgrades to a WebSocket only with `Authorization: Bearer
  <API_KEY>` (else HTTP 401, as the real endpoint answers a bad key) and sends
  `session.created`. `session.update` -> `session.updated`.
- `conversation.item.create` -> `conversation.item.added` + `conversation.item.done`;
  `input_audio_buffer.append`/`commit` -> `input_audio_buffer.committed` and a user item
  (and, when the session asks for input transcription, its transcript from `transcripts`);
  `conversation.item.truncate` -> `conversation.item.truncated`.
- `response.create` plays the next step of the test's `script`: `response.created`, then
  per output an item streamed in deltas (Text: output_text deltas cut mid-word; Audio:
  PCM deltas interleaved with transcript deltas; Call: function-call argument deltas),
  each closed by its `.done` events, then `response.done` with usage (also kept in `usage`).
- `response.cancel` ends the response in flight (status "cancelled"), after one more
  delta already "on the wire". A Drop step closes the socket mid-response.
- What the real server refuses, this one refuses too, with an `error` event naming the
  client event: a second active response, a cancel with nothing to cancel, a commit of
  under 100 ms of audio, an output for an unknown call, a truncation past the audio.

Every client event is kept in `received`; `wait_for` awaits a condition on the state.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np
from aiohttp import WSCloseCode, WSMsgType, web

from tests.local_http import serve_app

API_KEY = "sk-test-realtime"
RATE = 24_000
PCM_FORMAT = {"type": "audio/pcm", "rate": RATE}


@dataclass(frozen=True)
class Text:
    text: str
    piece: int = 7  # characters per delta: pieces split words
    hold: int | None = None  # after this many deltas, wait for response.cancel (or the test's `release`)


@dataclass(frozen=True)
class Audio:
    transcript: str
    piece: int = 8  # transcript characters per delta
    seconds_per_char: float = 0.05  # speech as PCM: a tone this long per character


@dataclass(frozen=True)
class Call:
    name: str
    arguments: str  # raw JSON text, possibly invalid on purpose


@dataclass(frozen=True)
class Drop:
    """The server goes away mid-response: the socket closes (1011) after response.created."""


Output = Text | Audio | Call | Drop
Step = Output | Sequence[Output] | Callable[["FakeRealtime"], Output | Sequence[Output]]


@dataclass
class FakeRealtime:
    script: list[Step] = field(default_factory=list)
    base_url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every server event
    errors: list[dict[str, Any]] = field(default_factory=list)  # the error events sent
    usage: list[dict[str, Any]] = field(default_factory=list)  # per response.done
    items: list[dict[str, Any]] = field(default_factory=list)  # the conversation, as the server holds it
    audio_in: bytearray = field(default_factory=bytearray)  # committed input audio (PCM 24 kHz)
    audio_out: int = 0  # samples of assistant audio sent
    transcripts: list[str] = field(default_factory=list)  # what the caller "said", per commit (input transcription)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # lets a held Text go on
    connections: int = 0
    closed: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.received if e["type"] == kind]

    def outputs(self) -> list[dict[str, Any]]:
        """The function-call outputs the client sent, parsed."""
        return [json.loads(i["output"]) for i in self.items if i["type"] == "function_call_output"]

    async def wait_for(self, done: Callable[[FakeRealtime], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: done(self))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


class _Session:
    """One WebSocket: the conversation's bookkeeping and the response in flight."""

    def __init__(self, state: FakeRealtime, ws: web.WebSocketResponse) -> None:
        self.state, self.ws = state, ws
        self.ids = count(1)
        self.lock = asyncio.Lock()
        self.session: dict[str, Any] = {"type": "realtime", "model": "gpt-realtime", "output_modalities": ["audio"]}
        self.playing: asyncio.Task[None] | None = None
        self.cancel = asyncio.Event()
        self.audio_ms: dict[str, int] = {}  # assistant audio per item
        self.buffer = b""  # input audio appended, not committed yet

    def id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):04d}"

    async def send(self, kind: str, **fields: Any) -> None:
        event = {"type": kind, "event_id": self.id("event"), **fields}
        self.state.sent.append(json.loads(json.dumps(event)))  # as sent (items change later)
        if kind == "error":
            self.state.errors.append(event)
        async with self.lock:
            await self.ws.send_str(json.dumps(event))

    async def error(self, client_event: dict[str, Any], code: str, message: str) -> None:
        await self.send("error", error={"type": "invalid_request_error", "code": code, "message": message,
                                        "param": None, "event_id": client_event.get("event_id")})  # fmt: skip

    async def add_item(self, item: dict[str, Any]) -> None:
        item = {"id": self.id("item"), "object": "realtime.item", "status": "completed", **item}
        previous = self.state.items[-1]["id"] if self.state.items else None
        self.state.items.append(item)
        await self.send("conversation.item.added", item=item, previous_item_id=previous)
        await self.send("conversation.item.done", item=item, previous_item_id=previous)

    async def handle(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "session.update":
            if event.get("session", {}).get("type") != "realtime":
                await self.error(event, "missing_required_parameter", "Missing required parameter: 'session.type'.")
                return
            self.session |= event["session"]
            await self.send("session.updated", session=self.session)
        elif kind == "conversation.item.create":
            item = event["item"]
            calls = {i.get("call_id") for i in self.state.items if i["type"] == "function_call"}
            if item["type"] == "function_call_output" and item["call_id"] not in calls:
                await self.error(event, "invalid_value", f"No function call with call_id '{item['call_id']}'.")
                return
            await self.add_item(item)
        elif kind == "input_audio_buffer.append":
            self.buffer += base64.b64decode(event["audio"])
        elif kind == "input_audio_buffer.commit":
            buffered, self.buffer = self.buffer, b""
            if len(buffered) < RATE // 10 * 2:
                await self.error(event, "input_audio_buffer_commit_empty", "buffer too small (under 100ms of audio)")
                return
            self.state.audio_in += buffered
            await self.send("input_audio_buffer.committed", item_id=f"item_in_{len(self.state.items)}")
            await self.add_item({"type": "message", "role": "user", "content": [{"type": "input_audio"}]})
            if self.session.get("audio", {}).get("input", {}).get("transcription"):
                audio_tokens = len(buffered) // 2 // 2400  # ~10 a second
                usage = {
                    "type": "tokens",
                    "input_tokens": audio_tokens,
                    "output_tokens": 12,
                    "total_tokens": audio_tokens + 12,
                    "input_token_details": {"audio_tokens": audio_tokens},
                }
                await self.send("conversation.item.input_audio_transcription.completed",
                                item_id=self.state.items[-1]["id"], content_index=0, usage=usage,
                                transcript=self.state.transcripts.pop(0) if self.state.transcripts else "")  # fmt: skip
        elif kind == "conversation.item.truncate":
            if event["audio_end_ms"] > self.audio_ms.get(event["item_id"], -1):
                await self.error(event, "invalid_value", "audio_end_ms is longer than the audio of the item")
                return
            await self.send("conversation.item.truncated", item_id=event["item_id"],
                            content_index=event["content_index"], audio_end_ms=event["audio_end_ms"])  # fmt: skip
        elif kind == "response.create":
            if self.playing is not None and not self.playing.done():
                await self.error(event, "conversation_already_has_active_response",
                                 "Conversation already has an active response in progress.")  # fmt: skip
                return
            if not self.state.script:
                await self.error(event, "fake_script_exhausted", "The test's script has no step left.")
                return
            step = self.state.script.pop(0)
            outputs = step(self.state) if callable(step) else step
            outputs = [outputs] if isinstance(outputs, Output) else list(outputs)
            self.cancel = asyncio.Event()
            self.playing = asyncio.create_task(self.play(outputs, event.get("response") or {}))
        elif kind == "response.cancel":
            if self.playing is None or self.playing.done():
                await self.error(event, "response_cancel_not_active", "Cancellation failed: no active response found")
                return
            self.cancel.set()

    # --- responses --------------------------------------------------------------

    async def play(self, outputs: list[Output], params: dict[str, Any]) -> None:
        modalities = self.session.get("output_modalities", ["audio"])
        response = {"id": self.id("resp"), "object": "realtime.response", "status": "in_progress",
                    "status_details": None, "output": [], "conversation_id": "conv_0001", "output_modalities":
                    modalities, "max_output_tokens": "inf", "metadata": params.get("metadata"), "usage": None,
                    "audio": {"output": {"format": PCM_FORMAT, "voice": "alloy"}}}  # fmt: skip
        await self.send("response.created", response=response)
        status, tokens = "completed", {"text": 0, "audio": 0}
        for index, output in enumerate(outputs):
            if isinstance(output, Drop):
                await self.ws.close(code=WSCloseCode.INTERNAL_ERROR)
                return
            play = {Text: self.text, Audio: self.audio, Call: self.call}[type(output)]
            item, finished = await play(output, response, index, tokens)  # type: ignore[operator]
            response["output"].append(item)
            if not finished:
                status = "cancelled"
                break
        users = sum(1 for i in self.state.items if i.get("role") == "user")
        text_in, audio_in = 100 + 10 * len(self.state.items), 25 * users if self.state.audio_in else 0
        usage: dict[str, Any] = {
            "input_tokens": text_in + audio_in, "output_tokens": tokens["text"] + tokens["audio"],
            "total_tokens": text_in + audio_in + tokens["text"] + tokens["audio"],
            "input_token_details": {"text_tokens": text_in, "audio_tokens": audio_in, "cached_tokens": 0,
                                    "image_tokens": 0},
            "output_token_details": {"text_tokens": tokens["text"], "audio_tokens": tokens["audio"]},
        }  # fmt: skip
        self.state.usage.append(usage)
        details = {"type": "cancelled", "reason": "client_cancelled"} if status == "cancelled" else None
        await self.send("response.done", response=response | {"status": status, "status_details": details,
                                                               "usage": usage})  # fmt: skip
        await self.send("rate_limits.updated", rate_limits=[{"name": "tokens", "limit": 40000, "remaining": 39000,
                                                              "reset_seconds": 1.5}])  # fmt: skip

    async def held(self) -> bool:
        """Wait for the test's release (True) or a response.cancel (False)."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self.state.release, self.cancel)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return not self.cancel.is_set()

    async def _open_item(self, response: dict[str, Any], index: int, item: dict[str, Any]) -> dict[str, Any]:
        item = {"id": self.id("item"), "object": "realtime.item", "status": "in_progress", **item}
        await self.send("response.output_item.added", response_id=response["id"], output_index=index, item=item)
        previous = self.state.items[-1]["id"] if self.state.items else None
        self.state.items.append(item)
        await self.send("conversation.item.added", item=item, previous_item_id=previous)
        return item

    async def _close_item(self, response: dict[str, Any], index: int, item: dict[str, Any], done: bool) -> None:
        item["status"] = "completed" if done else "incomplete"
        await self.send("response.output_item.done", response_id=response["id"], output_index=index, item=item)
        await self.send("conversation.item.done", item=item)

    async def text(self, out: Text, response: dict[str, Any], index: int, tokens: dict[str, int]) -> tuple[Any, bool]:
        item = await self._open_item(response, index, {"type": "message", "role": "assistant", "content": []})
        where = {"response_id": response["id"], "item_id": item["id"], "output_index": index, "content_index": 0}
        await self.send("response.content_part.added", **where, part={"type": "text", "text": ""})
        pieces = [out.text[i : i + out.piece] for i in range(0, len(out.text), out.piece)]
        sent, finished = "", True
        for n, piece in enumerate(pieces):
            if out.hold is not None and n == out.hold and not await self.held():
                await self.send("response.output_text.delta", **where, delta=piece)  # already on the wire
                sent += piece
                finished = False
                break
            await self.send("response.output_text.delta", **where, delta=piece)
            sent += piece
        tokens["text"] += len(sent) // 4 + 1
        item["content"] = [{"type": "output_text", "text": sent}]
        if finished:
            await self.send("response.output_text.done", **where, text=sent)
            await self.send("response.content_part.done", **where, part={"type": "text", "text": sent})
        await self._close_item(response, index, item, finished)
        return item, finished

    async def audio(self, out: Audio, response: dict[str, Any], index: int, tokens: dict[str, int]) -> tuple[Any, bool]:
        item = await self._open_item(response, index, {"type": "message", "role": "assistant", "content": []})
        where = {"response_id": response["id"], "item_id": item["id"], "output_index": index, "content_index": 0}
        await self.send("response.content_part.added", **where, part={"type": "audio", "transcript": ""})
        text, samples = out.transcript, 0
        for i in range(0, len(text), out.piece):
            piece = text[i : i + out.piece]
            pcm = tone(len(piece) * out.seconds_per_char, start=samples)
            samples += len(pcm)
            self.state.audio_out += len(pcm)
            await self.send("response.output_audio.delta", **where, delta=base64.b64encode(pcm.tobytes()).decode())
            await self.send("response.output_audio_transcript.delta", **where, delta=piece)
        self.audio_ms[item["id"]] = samples * 1000 // RATE
        tokens["audio"] += samples // 1200  # ~20 tokens a second
        tokens["text"] += len(text) // 4 + 1
        await self.send("response.output_audio.done", **where)
        await self.send("response.output_audio_transcript.done", **where, transcript=text)
        await self.send("response.content_part.done", **where, part={"type": "audio", "transcript": text})
        item["content"] = [{"type": "output_audio", "transcript": text}]
        await self._close_item(response, index, item, True)
        return item, True

    async def call(self, out: Call, response: dict[str, Any], index: int, tokens: dict[str, int]) -> tuple[Any, bool]:
        call_id = self.id("call")
        item = await self._open_item(response, index, {"type": "function_call", "name": out.name, "call_id": call_id,
                                                       "arguments": ""})  # fmt: skip
        where = {"response_id": response["id"], "item_id": item["id"], "output_index": index, "call_id": call_id}
        for i in range(0, len(out.arguments), 9):
            await self.send("response.function_call_arguments.delta", **where, delta=out.arguments[i : i + 9])
        await self.send("response.function_call_arguments.done", **where, name=out.name, arguments=out.arguments)
        item["arguments"] = out.arguments
        tokens["text"] += len(out.arguments) // 4 + 1
        await self._close_item(response, index, item, True)
        return item, True


def tone(seconds: float, start: int = 0, hz: float = 440.0) -> np.ndarray[Any, np.dtype[np.int16]]:
    """PCM16 at 24 kHz that is not silence (a sine, continuous across pieces)."""
    t = (np.arange(round(seconds * RATE)) + start) / RATE
    return (np.sin(2 * np.pi * hz * t) * 8000).astype("<i2")


@asynccontextmanager
async def serving(script: Sequence[Step] = ()) -> AsyncIterator[FakeRealtime]:
    state = FakeRealtime(script=list(script))

    async def realtime(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"error": {"type": "invalid_request_error", "code": "invalid_api_key",
                                                "message": "Incorrect API key provided."}}, status=401)  # fmt: skip
        if not request.query.get("model"):
            return web.json_response({"error": {"message": "Missing model"}}, status=400)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = _Session(state, ws)
        state.connections += 1
        state._sockets.add(ws)
        await session.send("session.created", session=session.session)
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                event = json.loads(message.data)
                state.received.append(event)
                await session.handle(event)
                await state._notify()
        finally:
            if session.playing is not None:
                session.playing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await session.playing
            state._sockets.discard(ws)
            state.closed += 1
            await state._notify()
        return ws

    app = web.Application()
    app.router.add_get("/v1/realtime", realtime)
    async with serve_app(app) as url:
        state.base_url = f"{url}/v1"
        try:
            yield state
        finally:
            for ws in list(state._sockets):  # a client the test left connected (a failing test) must not stall cleanup
                await ws.close()
