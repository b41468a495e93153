"""A local server that speaks OpenAI's HTTP API the way the real one does, for the
chat and speech adapters (tested with the real `openai` SDK; not against the live service).

- POST /v1/chat/completions with stream=true: Server-Sent Events of `chat.completion.chunk`
  objects (content deltas, tool calls whose id and name come first and whose arguments
  arrive in pieces, finish_reason, a final usage chunk when stream_options.include_usage),
  then `data: [DONE]`.
- POST /v1/audio/speech with response_format=pcm: 24 kHz 16-bit mono PCM; =opus: Ogg Opus
  (48 kHz, encoded and muxed by FFmpeg through PyAV).

What the "model" answers is up to the test: a `policy` gets each request body and returns a
Reply (text and/or tool calls) or a Failure. Every request body is kept in `requests`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from tests.fakes.ogg import ogg_opus
from tests.local_http import serve_app

API_KEY = "sk-test-local"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # raw JSON text, possibly invalid on purpose


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 50
    completion_tokens: int = 20
    delay: float = 0.0  # seconds before the first chunk (a model that thinks)
    chunk_delay: float = 0.0  # seconds between chunks (a model that generates slowly)


@dataclass(frozen=True)
class Failure:
    status: int = 500
    message: str = "The server had an error while processing your request."
    delay: float = 0.0  # seconds before answering (a slow model)


Policy = Callable[[Mapping[str, Any]], Reply | Failure]


@dataclass
class FakeOpenAI:
    policy: Policy
    requests: list[dict[str, Any]] = field(default_factory=list)
    speech_requests: list[dict[str, Any]] = field(default_factory=list)
    speech_body: bytes | None = None  # a misbehaving server: this body, whatever format was asked for
    streams_finished: int = 0
    base_url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/audio/speech", self._speech)
        return app

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        refused = _unauthorized(request)
        if refused is not None:
            return refused
        body = await request.json()
        self.requests.append(body)
        answer = self.policy(body)
        if isinstance(answer, Failure):
            await asyncio.sleep(answer.delay)  # the slow model being simulated
            return _error(answer.status, answer.message, "server_error")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(answer.delay)  # the model thinking, as simulated
        for chunk in _chunks(body, answer):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(answer.chunk_delay)  # generation speed, as simulated
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        self.streams_finished += 1
        return response

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        refused = _unauthorized(request)
        if refused is not None:
            return refused
        body = await request.json()
        self.speech_requests.append(body)
        fmt = body.get("response_format")
        if fmt not in ("pcm", "opus") or not body.get("input") or not body.get("voice"):
            return _error(400, "input, voice and response_format=pcm|opus are required here", "invalid_request_error")
        # 60 ms of a 440 Hz tone per character: the length tells the test what was said.
        rate = 24_000 if fmt == "pcm" else 48_000
        t = np.arange(int(rate * 0.06 * len(body["input"]))) / rate
        pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
        if self.speech_body is not None:
            return web.Response(body=self.speech_body, content_type="application/octet-stream")
        if fmt == "opus":
            return web.Response(body=ogg_opus(pcm), content_type="audio/ogg")
        return web.Response(body=pcm.tobytes(), content_type="application/octet-stream")


def _unauthorized(request: web.Request) -> web.Response | None:
    if request.headers.get("Authorization") == f"Bearer {API_KEY}":
        return None
    return _error(401, "Incorrect API key provided.", "invalid_request_error", code="invalid_api_key")


def _error(status: int, message: str, kind: str, code: str | None = None) -> web.Response:
    error = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(error, status=status)


def _chunks(body: Mapping[str, Any], reply: Reply) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-local", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", ""), "system_fingerprint": "fp_local"}  # fmt: skip

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    # Content in small pieces that split words and sentences, as a real model streams.
    out += [chunk({"content": reply.text[i : i + 7]}) for i in range(0, len(reply.text), 7)]
    for index, call in enumerate(reply.tool_calls):
        first = {"index": index, "id": f"call_{index}_{call.name}", "type": "function",
                 "function": {"name": call.name, "arguments": ""}}  # fmt: skip
        out.append(chunk({"tool_calls": [first]}))
        for i in range(0, len(call.arguments), 9):
            out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": call.arguments[i : i + 9]}}]}))
    out.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                 "total_tokens": reply.prompt_tokens + reply.completion_tokens}  # fmt: skip
        out.append({**base, "choices": [], "usage": usage})
    return out


@asynccontextmanager
async def serving(policy: Policy) -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI(policy)
    async with serve_app(fake.app()) as url:
        fake.base_url = f"{url}/v1"
        yield fake
