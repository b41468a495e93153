"""The /ws protocol: offer -> answer, trickle ICE, bye; every error a JSON message.

Client -> gateway:
  {"type": "offer", "sdp": "...", "typing": true}       once per socket; again mid-call with new
                                                        ICE credentials: an ICE restart (the caller's
                                                        network changed), answered with the same call_id.
                                                        "typing" (optional): the client has a text box,
                                                        which the agent may offer for what it can't hear
  {"type": "typed", "text": "..."}                      a turn the caller typed (1-200 characters)
  {"type": "candidate", "candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0}
  {"type": "candidate", "candidate": null}              end of candidates (later ones are ignored)
  {"type": "bye"}
Gateway -> client:
  {"type": "answer", "sdp": "...", "call_id": "..."}    our candidates are in the SDP (we gather first)
  {"type": "event", "event": {"type": "...", ...}}      a call event (gateway/call_events.py), when the
                                                        caller has no open data channel (lean stack)
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
from collections.abc import Callable
from typing import Any, Protocol

import structlog
from aiohttp import WSMsgType, web

from gateway import auth, metrics
from gateway.call import Call
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.calls import LiveCall
from gateway.state import STATE_KEY, GatewayState

log = structlog.get_logger("gateway.signaling")

CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_ABUSE = 4401, 4403, 4429
MAX_STRIKES = 3  # refused frames a socket may send; the next one closes it
OUTBOX = 256  # queued events per socket; past that (a caller not reading) the newest are dropped
MAX_TYPED = 200  # characters in a typed turn: a number, a name, an e-mail address, a short sentence


class SignalledCall(LiveCall, Protocol):
    """What a socket's call offers the protocol: a `Call`, or a leg of a shadow call (gateway/shadow/);
    either takes a line in the registry."""

    ended: str | None

    async def answer(self, offer_sdp: str) -> str: ...

    def restartable(self) -> bool: ...

    async def restart(self, offer_sdp: str) -> str: ...

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None: ...

    async def hang_up(self, reason: str) -> None: ...


# Opens the socket's call instead of an agent's `Call`: given the socket's `post` and the callback
# for the call's end (a shadow-mode leg: gateway/shadow/desk.py).
CallOpener = Callable[[Callable[[dict[str, Any]], None], Callable[[Any, str], None]], SignalledCall]


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

    def __init__(self, state: GatewayState, ws: web.WebSocketResponse, owner: str | None = None,
                 opener: CallOpener | None = None) -> None:  # fmt: skip
        """`opener`: what this socket's offer opens, when not an agent's call (shadow mode's legs)."""
        self.state = state
        self.ws = ws
        self.owner = owner
        self.opener = opener
        self.call: SignalledCall | None = None
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
            await self._offer(message.get("sdp"), typing=message.get("typing") is True)
        elif kind == "candidate":
            await self._candidate(message)
        elif kind == "typed":
            self._typed(message.get("text"))
        elif kind == "bye":
            if self.call is not None:
                await self.call.hang_up("caller_hangup")
            await self.ws.close()
        else:
            raise SignalingError("bad_message", f"unknown message type {kind!r}")

    async def _offer(self, sdp: Any, *, typing: bool) -> None:
        if not isinstance(sdp, str) or not sdp.strip():
            raise SignalingError("bad_message", 'an offer needs "sdp": a non-empty string')
        if self.call is not None:
            if not self.call.restartable():
                raise SignalingError("call_exists", "this socket already has a call; open a new socket for another")
            return await self._restart(self.call, sdp)
        if self.state.draining:
            metrics.CALLS_REFUSED.labels("draining").inc()
            raise SignalingError("draining", "this gateway is shutting down; try again (another will answer)")
        if self.state.lines_busy():
            metrics.CALLS_REFUSED.labels("busy").inc()
            raise SignalingError("busy", f"all {self.state.calls.max_calls} lines are busy; try again shortly")
        per_token = self.state.settings.max_calls_per_token
        if self.owner is not None and per_token and self.state.calls.held_by(self.owner) >= per_token:
            metrics.CALLS_REFUSED.labels("too_many_calls").inc()
            raise SignalingError("too_many_calls", f"this token's subject already holds {per_token} calls, "
                                 "the most it may hold at once; end one first")  # fmt: skip
        call: SignalledCall
        if self.opener is not None:
            call = self.opener(self.post, self._call_ended)  # a desk leg: a line taken like a call
        else:
            origin = CallOrigin(typing="text_box") if typing else WEBRTC
            call = self.state.new_call(on_end=self._call_ended, post=self.post, origin=origin)
        self.state.calls.add(call, self.owner)
        self.call = call
        try:
            answer = await call.answer(sdp)
        except Exception as exc:
            await call.hang_up("bad_sdp")
            self.call = None
            metrics.CALLS_REFUSED.labels("bad_sdp").inc()
            raise SignalingError("bad_sdp", f"the offer's SDP could not be used: {exc}"[:300]) from None
        await self.send({"type": "answer", "sdp": answer, "call_id": call.call_id})

    async def _restart(self, call: SignalledCall, sdp: str) -> None:
        """An ICE restart: the call goes on whether or not the re-offer can be used."""
        try:
            answer = await call.restart(sdp)
        except Exception as exc:
            metrics.ICE_RESTARTS.labels("refused").inc()
            raise SignalingError("bad_sdp", f"the re-offer could not be used (the call goes on): {exc}"[:300]) from None
        metrics.ICE_RESTARTS.labels("answered").inc()
        await self.send({"type": "answer", "sdp": answer, "call_id": call.call_id})

    def _typed(self, text: Any) -> None:
        """A turn typed in the page's box: answered like speech (the turn loop's typed turns)."""
        if self.call is None:
            raise SignalingError("no_call", "send an offer before typing")
        if not isinstance(text, str) or not (text := " ".join(text.split())) or len(text) > MAX_TYPED:
            raise SignalingError("bad_message", f'a typed turn is {{"text": 1 to {MAX_TYPED} characters}}')
        if not isinstance(self.call, Call):  # a shadow call's leg: a person answers, who hears, not reads
            raise SignalingError("bad_message", "typed turns are not taken on this call")
        self.call.turn_loop.typed(text)

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

    def _call_ended(self, call: Any, reason: str) -> None:
        self.state.calls.remove(call)
        if reason not in ("caller_hangup", "caller_gone", "bad_sdp") and not self.ws.closed:
            self.state.spawn(self._say_bye(reason))

    async def _say_bye(self, reason: str) -> None:
        await self._flush()  # the call's last events (call.ended) before the bye
        await self.send({"type": "bye", "reason": reason})
        await self.ws.close()


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """A caller's socket: an agent's call, or in shadow mode a place in the desk's queue."""
    state = request.app[STATE_KEY]
    return await serve_socket(request, state, None, desk_caller(state))


def desk_caller(state: GatewayState) -> CallOpener | None:
    """Shadow mode: a caller joins the desk's queue, unless async mode has them leave a voicemail first
    (after the answering hours, or every line taken while an overflow line is free): then the agent's
    voicemail call takes them, as without shadow mode. None: not shadow mode (an agent's call)."""
    desk = state.desk
    if desk is None:
        return None

    def open_caller(post: Callable[[dict[str, Any]], None], on_end: Callable[[Any, str], None]) -> SignalledCall:
        if (voicemail := state.voicemail_reason(WEBRTC)) is not None:
            return state.new_call(on_end=on_end, post=post, voicemail=voicemail)
        return desk.open_caller(post, on_end)

    return open_caller


async def serve_socket(request: web.Request, state: GatewayState, audience: str | None,
                       opener: CallOpener | None) -> web.WebSocketResponse:  # fmt: skip
    """The protocol on one socket, once its origin and token are checked; `audience`: the token's, when
    not a caller's (the people at the desk hold operators' tokens)."""
    # aiohttp closes sockets past 4x our limit outright; below that we answer too_large.
    ws = web.WebSocketResponse(max_msg_size=state.settings.max_message_bytes * 4, heartbeat=30)
    await ws.prepare(request)
    session = Session(state, ws, opener=opener)
    if not origin_allowed(request, state.settings.allowed_origins):
        await session.error("forbidden_origin", "this origin may not open calls here")
        await ws.close(code=CLOSE_FORBIDDEN)
        return ws
    if not state.settings.dev_mode:
        token = request_token(request)
        try:
            if token is None:
                raise auth.TokenError("missing")
            claims = auth.verify(state.settings.auth_secret, token, audience=audience or auth.WS_AUDIENCE,
                                 max_lifetime=state.settings.max_token_seconds)  # fmt: skip
        except auth.TokenError as exc:
            metrics.CALLS_REFUSED.labels("unauthorized").inc()
            await session.error("unauthorized", f"a valid token is required ({exc})")
            await ws.close(code=CLOSE_UNAUTHORIZED)
            return ws
        session.owner = claims.sub
    await session.run()
    return ws
