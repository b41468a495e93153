"""`GET /telephony/socket`: the plain audio socket (socket_wire.py says its framing). Same tokens
as `/ws` (none in dev mode); then a call runs on a StreamLink like any other (channel `phone`), or in
shadow mode the caller joins the desk's queue (desk_line.py)."""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from gateway import auth, metrics
from gateway.call_origin import CallOrigin
from gateway.link.base import StateChanged
from gateway.link.phone import phone_metrics as pm
from gateway.link.phone.desk_line import to_the_desk
from gateway.link.phone.keypad import Keypad
from gateway.link.phone.socket_wire import SocketWire, line_format
from gateway.link.phone.stream_link import StreamLink
from gateway.link.phone.twilio_routes import gateway_state
from gateway.link.phone.wire import Malformed
from gateway.media.outbound import PlayoutTrack
from gateway.media.phone_audio import PhoneIn, PhoneOut
from gateway.signaling import request_token

log = structlog.get_logger("gateway.link.phone")
SOCKET_PATH = "/telephony/socket"
START_TIMEOUT = 10.0
MAX_MESSAGE = 64 * 1024


def add_socket_routes(app: web.Application) -> None:
    app.router.add_get(SOCKET_PATH, audio_socket)


async def _refuse(
    ws: web.WebSocketResponse, outcome: str, code: int = WSCloseCode.POLICY_VIOLATION
) -> web.WebSocketResponse:
    pm.STREAMS.labels(outcome).inc()
    log.warning("audio_socket_refused", outcome=outcome)
    await ws.close(code=code, message=outcome.encode())
    return ws


async def _first_text(ws: web.WebSocketResponse) -> str:
    msg = await ws.receive()
    if msg.type != WSMsgType.TEXT:
        raise Malformed("no_start")
    return str(msg.data)


async def audio_socket(request: web.Request) -> web.StreamResponse:
    state = gateway_state(request)
    if not state.settings.dev_mode:  # refused before the upgrade, like /ws
        try:
            auth.verify(state.settings.auth_secret, request_token(request) or "",
                        max_lifetime=state.settings.max_token_seconds)  # fmt: skip
        except auth.TokenError as exc:
            pm.STREAMS.labels("bad_token").inc()
            return web.json_response({"error": "unauthorized", "reason": exc.reason}, status=401)
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    try:
        rate, encoding, marks = line_format(await asyncio.wait_for(_first_text(ws), START_TIMEOUT))
    except TimeoutError:
        return await _refuse(ws, "no_start")
    except Malformed as e:
        pm.STREAM_ERRORS.labels(e.reason).inc()
        return await _refuse(ws, "malformed_stream")
    if state.draining or state.lines_busy():
        metrics.CALLS_REFUSED.labels("draining" if state.draining else "busy").inc()
        return await _refuse(ws, "busy", code=WSCloseCode.TRY_AGAIN_LATER)

    def open_link(playout: PlayoutTrack, _ice: StateChanged, on_connection_state: StateChanged) -> StreamLink:
        return StreamLink(ws, SocketWire(marks), PhoneIn(rate, encoding), PhoneOut(rate, encoding), playout,
                          on_connection_state)  # fmt: skip

    origin = CallOrigin("phone", typing="keypad")
    voicemail = state.voicemail_reason(origin)  # async mode: after hours or every line taken, before the desk
    if state.desk is not None and voicemail is None:  # shadow mode: a person answers, the agent recommends
        reason = await to_the_desk(state.desk, state.calls, origin, open_link)
        pm.STREAMS.labels(reason).inc()
        return ws

    call = state.new_call(on_end=lambda ended, _reason: state.calls.remove(ended), origin=origin,
                          open_media=open_link, voicemail=voicemail)  # fmt: skip
    link = call.link
    assert isinstance(link, StreamLink)
    link.stream_id = call.call_id
    link.keypad = Keypad(call.turn_loop.typed)
    state.calls.add(call)
    log.info("audio_socket_started", call_id=call.call_id, rate=rate, encoding=encoding, marks=marks)
    call.start()
    reason = await link.run()
    await call.hang_up(reason)
    pm.STREAMS.labels(reason).inc()
    return ws
