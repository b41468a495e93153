"""Twilio's two doors into the gateway.

`POST /telephony/twilio/voice`: the number's voice webhook. Its X-Twilio-Signature is checked
with the official SDK's RequestValidator over the URL Twilio requested (VOICEPOD_PUBLIC_URL when
a proxy is in front) and the form; unsigned or wrong: 403, nothing started. A good one is answered
with TwiML `<Connect><Stream>` to our stream socket, with a short-lived token of ours as a custom
parameter: the token carries the caller's number (`From`), so what arrives on the socket is only
believed as far as the signed webhook said it.

`GET /telephony/twilio/stream`: the Media Stream socket. Its `start` must carry a valid token;
then a call runs on a TwilioLink exactly like a WebRTC call (one Call, one turn loop); in shadow mode
a caller who rang joins the desk's queue instead (desk_line.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import phonenumbers
import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from twilio.twiml.voice_response import Connect, Stream, VoiceResponse

from gateway import auth, metrics
from gateway.call_origin import CallOrigin
from gateway.link.base import StateChanged
from gateway.link.phone import phone_metrics as pm
from gateway.link.phone import twilio_messages as tm
from gateway.link.phone.desk_line import to_the_desk
from gateway.link.phone.dials import OUTBOUND_AUDIENCE
from gateway.link.phone.keypad import Keypad
from gateway.link.phone.outbound_call import AwaitingAnswer, answer
from gateway.link.phone.stream_link import StreamLink
from gateway.link.phone.twilio_signature import Refused, signed_form
from gateway.media.outbound import PlayoutTrack
from gateway.media.phone_audio import PhoneIn, PhoneOut
from gateway.responder import Responder

if TYPE_CHECKING:
    from gateway.call import Call
    from gateway.state import GatewayState

log = structlog.get_logger("gateway.link.phone")
VOICE_PATH = "/telephony/twilio/voice"
STREAM_PATH = "/telephony/twilio/stream"
STREAM_AUDIENCE = "voicepod-twilio-stream"
START_TIMEOUT = 10.0  # from the socket's opening to Twilio's `start`
MAX_STREAM_MESSAGE = 64 * 1024
NO_NUMBER = "-"  # the token's subject when caller ID was withheld or is no usable number


def add_twilio_routes(app: web.Application) -> None:
    app.router.add_post(VOICE_PATH, voice_webhook)
    app.router.add_get(STREAM_PATH, media_stream)


def gateway_state(request: web.Request) -> GatewayState:
    from gateway.state import STATE_KEY

    return request.app[STATE_KEY]


def _stream_url(request: web.Request, public_base: str) -> str:
    return stream_url(public_base or f"{request.scheme}://{request.host}")


def stream_url(base: str) -> str:
    """Our stream socket's address at `base` (the gateway's http(s) address)."""
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + STREAM_PATH


def caller_number(value: str) -> str | None:
    """Twilio's `From` as E.164 when it is a real number (withheld calls say "anonymous" and the like)."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _twiml(response: VoiceResponse) -> web.Response:
    return web.Response(text=str(response), content_type="application/xml")


async def voice_webhook(request: web.Request) -> web.Response:
    state = gateway_state(request)
    phone = state.settings.phone
    try:
        params = await signed_form(request, phone)
    except Refused as refused:
        pm.WEBHOOKS.labels(refused.outcome).inc()
        return refused.response
    response = VoiceResponse()
    if state.draining or state.lines_busy():
        pm.WEBHOOKS.labels("busy").inc()
        metrics.CALLS_REFUSED.labels("draining" if state.draining else "busy").inc()
        response.reject(reason="busy")  # the caller hears a busy tone; Twilio may try a fallback URL
        return _twiml(response)
    number = caller_number(params.get("From", ""))
    token = auth.mint(state.settings.auth_secret, subject=number or NO_NUMBER, audience=STREAM_AUDIENCE,
                      ttl_seconds=phone.stream_token_seconds)  # fmt: skip
    stream = Stream(url=_stream_url(request, phone.public_url))
    stream.parameter(name="token", value=token)
    connect = Connect()
    connect.append(stream)
    response.append(connect)
    pm.WEBHOOKS.labels("connected").inc()
    log.info("twilio_call_incoming", call_sid=params.get("CallSid", ""), caller_id=number is not None)
    return _twiml(response)


async def _start(ws: web.WebSocketResponse) -> tm.Start:
    """Twilio's `connected`, then `start`; raises Malformed for anything else."""
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            raise tm.Malformed("binary_message" if msg.type == WSMsgType.BINARY else "closed_before_start")
        message = tm.parse(msg.data)
        if isinstance(message, tm.Start):
            return message
        if not isinstance(message, tm.Connected | tm.Unknown):
            raise tm.Malformed("no_start", type(message).__name__.lower())
    raise tm.Malformed("closed_before_start")


async def _refuse(
    ws: web.WebSocketResponse, outcome: str, code: int = WSCloseCode.POLICY_VIOLATION, **fields: str
) -> web.WebSocketResponse:
    pm.STREAMS.labels(outcome).inc()
    log.warning("twilio_stream_refused", outcome=outcome, **fields)
    await ws.close(code=code, message=outcome.encode())
    return ws


async def media_stream(request: web.Request) -> web.WebSocketResponse:
    state = gateway_state(request)
    ws = web.WebSocketResponse(max_msg_size=MAX_STREAM_MESSAGE)
    await ws.prepare(request)
    try:
        start = await asyncio.wait_for(_start(ws), START_TIMEOUT)
    except TimeoutError:
        return await _refuse(ws, "no_start")
    except tm.Malformed as e:
        pm.STREAM_ERRORS.labels(e.reason).inc()
        return await _refuse(ws, "malformed_stream", reason=e.reason)
    phone = state.settings.phone
    outbound = start.custom_parameters.get("direction") == "outbound"  # believed only with an outbound token
    try:
        token = start.custom_parameters.get("token", "")
        audience = OUTBOUND_AUDIENCE if outbound else STREAM_AUDIENCE
        lifetime = phone.stream_token_seconds + (phone.ring_seconds if outbound else 0)  # an outbound one rings first
        claims = auth.verify(state.settings.auth_secret, token, audience=audience, max_lifetime=lifetime)
    except auth.TokenError as e:
        return await _refuse(ws, "bad_token", reason=e.reason, call_sid=start.call_sid)
    if state.draining or state.lines_busy():
        metrics.CALLS_REFUSED.labels("draining" if state.draining else "busy").inc()
        return await _refuse(ws, "busy", code=WSCloseCode.TRY_AGAIN_LATER)
    origin = CallOrigin("phone", caller_number=None if claims.sub == NO_NUMBER else claims.sub, typing="keypad",
                        direction="outbound" if outbound else "inbound")  # fmt: skip

    def open_link(playout: PlayoutTrack, _ice: StateChanged, on_connection_state: StateChanged) -> StreamLink:
        return StreamLink(ws, tm.TwilioWire(start.stream_sid), PhoneIn(), PhoneOut(), playout, on_connection_state,
                          stream_id=start.stream_sid)  # fmt: skip

    voicemail = state.voicemail_reason(origin)  # async mode: after hours or every line taken, before the desk
    if state.desk is not None and not outbound and voicemail is None:  # shadow mode: a person answers
        reason = await to_the_desk(state.desk, state.calls, origin, open_link, start.stream_sid)
        pm.STREAMS.labels(reason).inc()
        return ws

    awaiting: list[AwaitingAnswer] = []

    def outbound_agent(call: Call) -> Responder:
        awaiting.append(AwaitingAnswer(state.responder_factory(call)))
        return awaiting[0]

    call = state.new_call(on_end=lambda ended, _reason: state.calls.remove(ended), origin=origin, open_media=open_link,
                          responder_factory=outbound_agent if outbound else None, voicemail=voicemail)  # fmt: skip
    link = call.link
    assert isinstance(link, StreamLink)
    link.keypad = Keypad(call.turn_loop.typed)  # pressed keys are typed turns
    state.calls.add(call)
    log.info("twilio_stream_started", call_id=call.call_id, call_sid=start.call_sid, stream_sid=start.stream_sid,
             direction=origin.direction)  # fmt: skip
    call.start()
    answering = None
    if awaiting:  # we rang them: the agent waits for Twilio's verdict on who answered
        dial = state.dials.get(start.call_sid)
        answering = asyncio.create_task(answer(call, awaiting[0], dial, phone.amd_wait_seconds))
    reason = await link.run()
    if answering is not None:
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answering
    await call.hang_up(reason)
    pm.STREAMS.labels(reason).inc()
    return ws
