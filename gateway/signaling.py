"""The /ws protocol: offer -> answer, trickle ICE, bye; every error a JSON message.

Client -> gateway:
  {"type": "offer", "sdp": "..."}                       once per socket
  {"type": "candidate", "candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0}
  {"type": "candidate", "candidate": null}              end of candidates (later ones are ignored)
  {"type": "bye"}
Gateway -> client:
  {"type": "answer", "sdp": "...", "call_id": "..."}    our candidates are in the SDP (we gather first)
  {"type": "event", "event": {"type": "...", ...}}      a call event (gateway/call_events.py), when the
                                                        call's media has no data channel (lean stack)
  {"type": "bye", "reason": "..."}                      the call ended on our side (after its events)
  {"type": "error", "code": "...", "message": "..."}

Codes: unauthorized, forbidden_origin (then the socket closes), bad_json, bad_message,
too_large, rate_limited, call_exists, no_call, bad_sdp, bad_candidate, busy, draining,
too_many_calls (this token's subject already holds VOICEPOD_MAX_CALLS_PER_TOKEN calls), internal.

Strikes: a frame no client of ours sends (over the rate limit, over the size limit, binary) is a
strike; past MAX_STRIKES the socket gets rate_limited and closes with 4429.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import WSMsgType, web

from gateway import auth, metrics

if TYPE_CHECKING:
    from gateway.app import GatewayState
    from gateway.call import Call

log = structlog.get_logger("gateway.signaling")

CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_ABUSE = 4401, 4403, 4429
MAX_STRIKES = 3  # refused frames a socket may send; the next one closes it
OUTBOX = 256  # queued events per socket; past that (a caller not reading) the newest are dropped


class SignalingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return request.query.get("token")


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: nothing to protect against cross-site use
    origin = origin.rstrip("/")
    if allowed:
        return origin in allowed
    return origin in (f"http://{request.host}", f"https://{request.host}")


class Session:
    """One /ws connection: at most one call. `owner`: its token's subject (None in dev mode)."""

    def __init__(self, state: GatewayState, ws: web.WebSocketResponse, owner: str | None = None) -> None:
        self.state = state
        self.ws = ws
        self.owner = owner
        self.call: Call | None = None
        self.bucket = TokenBucket(state.settings.messages_per_second, state.settings.messages_per_second * 2)
        self.strikes = 0
        # Events leave in order through one writer, and before the bye that follows them.
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX)
        self._writer: asyncio.Task[None] | None = None

    def post(self, message: dict[str, Any]) -> None:
        """Queue a message without waiting (call events); dropped if the caller stopped reading."""
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            metrics.EVENTS_DROPPED.inc()

    async def _write(self) -> None:
        while True:
            message = await self._outbox.get()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.send(message)
            self._outbox.task_done()

    def _stop_writer(self) -> None:
        # Not kept once cancelled: the task's CancelledError holds its frame, which holds this session.
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    async def _flush(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.join(), 5.0)  # a caller that stopped reading
            self._stop_writer()

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(message)

    async def error(self, code: str, message: str) -> None:
        metrics.SIGNALING_ERRORS.labels(code).inc()
        await self.send({"type": "error", "code": code, "message": message})

    async def run(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT and await self._admit(len(msg.data)):
                    await self._text(msg.data)
                elif msg.type == WSMsgType.BINARY and await self._admit(len(msg.data)):
                    await self._strike("bad_message", "binary frames are not part of the protocol; send JSON text")
                if self.strikes > MAX_STRIKES:
                    await self.error("rate_limited", "too many refused messages; closing")
                    await self.ws.close(code=CLOSE_ABUSE)
        finally:
            if self.call is not None and self.call.ended is None:
                await self.call.hang_up("caller_gone")
            self._stop_writer()

    async def _admit(self, size: int) -> bool:
        """Every frame, text or binary, is rate-limited and size-checked before it is read."""
        if not self.bucket.take():
            return await self._strike("rate_limited", "slow down: too many messages per second")
        limit = self.state.settings.max_message_bytes
        if size > limit:
            return await self._strike("too_large", f"messages are limited to {limit} bytes")
        return True

    async def _strike(self, code: str, message: str) -> bool:
        self.strikes += 1
        await self.error(code, message)
        return False

    async def _text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
            return await self.error("bad_json", "the message is not valid JSON (or nests too deeply)")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.error("bad_message", 'a message is a JSON object with a string "type"')
        try:
            await self._dispatch(message)
        except SignalingError as exc:
            await self.error(exc.code, exc.message)
        except Exception:
            log.exception("signaling_failed", type=message.get("type"))
            await self.error("internal", "the gateway could not handle that message")

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "offer":
            await self._offer(message.get("sdp"))
        elif kind == "candidate":
            await self._candidate(message)
        elif kind == "bye":
            if self.call is not None:
                await self.call.hang_up("caller_hangup")
            await self.ws.close()
        else:
            raise SignalingError("bad_message", f"unknown message type {kind!r}")

    async def _offer(self, sdp: Any) -> None:
        if self.call is not None:
            raise SignalingError("call_exists", "this socket already has a call; open a new socket for another")
        if not isinstance(sdp, str) or not sdp.strip():
            raise SignalingError("bad_message", 'an offer needs "sdp": a non-empty string')
        if self.state.draining:
            metrics.CALLS_REFUSED.labels("draining").inc()
            raise SignalingError("draining", "this gateway is shutting down; try again (another will answer)")
        if self.state.calls.full():
            metrics.CALLS_REFUSED.labels("busy").inc()
            raise SignalingError("busy", f"all {self.state.calls.max_calls} lines are busy; try again shortly")
        per_token = self.state.settings.max_calls_per_token
        if self.owner is not None and per_token and self.state.calls.held_by(self.owner) >= per_token:
            metrics.CALLS_REFUSED.labels("too_many_calls").inc()
            raise SignalingError("too_many_calls", f"this token's subject already holds {per_token} calls, "
                                 "the most it may hold at once; end one first")  # fmt: skip
        call = self.state.new_call(on_end=self._call_ended, post=self.post)
        self.call = call
        self.state.calls.add(call, self.owner)
        try:
            answer = await call.answer(sdp)
        except Exception as exc:
            await call.hang_up("bad_sdp")
            self.call = None
            metrics.CALLS_REFUSED.labels("bad_sdp").inc()
            raise SignalingError("bad_sdp", f"the offer's SDP could not be used: {exc}"[:300]) from None
        await self.send({"type": "answer", "sdp": answer, "call_id": call.call_id})

    async def _candidate(self, message: dict[str, Any]) -> None:
        if self.call is None:
            raise SignalingError("no_call", "send an offer before candidates")
        candidate = message.get("candidate")
        if candidate == "":  # a browser's end of candidates; null is ours (both: no more will come)
            candidate = None
        mid, index = message.get("sdpMid"), message.get("sdpMLineIndex")
        if (
            not isinstance(candidate, str | None)
            or not isinstance(mid, str | None)
            or not isinstance(index, int | None)
        ):
            raise SignalingError("bad_message", "a candidate is {candidate: str, sdpMid: str, sdpMLineIndex: int}")
        try:
            await self.call.add_candidate(candidate, mid, index)
        except Exception as exc:
            raise SignalingError("bad_candidate", f"the candidate could not be used: {exc}"[:300]) from None

    def _call_ended(self, call: Call, reason: str) -> None:
        self.state.calls.remove(call)
        if reason not in ("caller_hangup", "caller_gone", "bad_sdp") and not self.ws.closed:
            self.state.spawn(self._say_bye(reason))

    async def _say_bye(self, reason: str) -> None:
        await self._flush()  # the call's last events (call.ended) before the bye
        await self.send({"type": "bye", "reason": reason})
        await self.ws.close()


async def websocket(request: web.Request) -> web.WebSocketResponse:
    from gateway.app import STATE_KEY

    state = request.app[STATE_KEY]
    # aiohttp closes sockets past 4x our limit outright; below that we answer too_large.
    ws = web.WebSocketResponse(max_msg_size=state.settings.max_message_bytes * 4, heartbeat=30)
    await ws.prepare(request)
    session = Session(state, ws)
    if not origin_allowed(request, state.settings.allowed_origins):
        await session.error("forbidden_origin", "this origin may not open calls here")
        await ws.close(code=CLOSE_FORBIDDEN)
        return ws
    if not state.settings.dev_mode:
        token = request_token(request)
        try:
            if token is None:
                raise auth.TokenError("missing")
            claims = auth.verify(state.settings.auth_secret, token, max_lifetime=state.settings.max_token_seconds)
        except auth.TokenError as exc:
            metrics.CALLS_REFUSED.labels("unauthorized").inc()
            await session.error("unauthorized", f"a valid token is required ({exc})")
            await ws.close(code=CLOSE_UNAUTHORIZED)
            return ws
        session.owner = claims.sub
    await session.run()
    return ws
