"""Twilio's callbacks about the calls we placed (gateway/link/phone/dialer.py), signed like the
voice webhook (403 otherwise, nothing taken):

`POST /telephony/twilio/amd`: the async answering-machine verdict (`AnsweredBy`), handed to the
call's stream, which waits for it (outbound_call.answer).

`POST /telephony/twilio/status`: the call is over. A call nobody answered (busy, no-answer, failed,
canceled) has no stream and no call: its outcome is recorded here, in the audit trail under the
dial's id.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.link.phone import outbound_metrics as om
from gateway.link.phone.dialer import AMD_PATH, STATUS_PATH
from gateway.link.phone.dials import HUMAN, UNANSWERED, outcome_of
from gateway.link.phone.outbound_call import AUDIT_ACTION
from gateway.link.phone.twilio_signature import Refused, signed_form
from gateway.recorder import CallRecorder

if TYPE_CHECKING:
    from gateway.state import GatewayState

log = structlog.get_logger("gateway.link.phone")
FINAL_STATUSES = frozenset({"completed", *UNANSWERED})


SignedCallback = Callable[["GatewayState", dict[str, str]], Awaitable[web.Response]]


def add_outbound_routes(app: web.Application) -> None:
    app.router.add_post(AMD_PATH, amd_callback)
    app.router.add_post(STATUS_PATH, status_callback)


def _signed(callback: str) -> Callable[[SignedCallback], Handler]:
    """A callback's handler, run only on a form Twilio signed; a refusal is answered and counted
    under `callback` (the metric's label)."""

    def wrap(take: SignedCallback) -> Handler:
        @functools.wraps(take)
        async def handler(request: web.Request) -> web.Response:
            from gateway.state import STATE_KEY

            state = request.app[STATE_KEY]
            try:
                params = await signed_form(request, state.settings.phone)
            except Refused as refused:
                om.CALLBACKS.labels(callback, refused.outcome).inc()
                return refused.response
            return await take(state, params)

        return handler

    return wrap


@_signed("amd")
async def amd_callback(state: GatewayState, params: dict[str, str]) -> web.Response:
    dial = state.dials.get(params.get("CallSid", ""))
    if dial is None:
        om.CALLBACKS.labels("amd", "unknown_call").inc()
        log.warning("amd_for_unknown_call", call_sid=params.get("CallSid", ""))
        return web.Response(status=204)
    if not dial.answered_by.done():
        dial.answered_by.set_result(params.get("AnsweredBy", "unknown"))
    om.CALLBACKS.labels("amd", "taken").inc()
    log.info("amd_verdict", dial_id=dial.dial_id, answered_by=params.get("AnsweredBy", ""),
             detection_ms=params.get("MachineDetectionDuration", ""))  # fmt: skip
    return web.Response(status=204)


@_signed("status")
async def status_callback(state: GatewayState, params: dict[str, str]) -> web.Response:
    status = params.get("CallStatus", "")
    if status not in FINAL_STATUSES:
        return web.Response(status=204)  # only "completed" was asked for; others are not ours to act on
    dial = state.dials.pop(params.get("CallSid", ""))
    if dial is None:
        om.CALLBACKS.labels("status", "unknown_call").inc()
        return web.Response(status=204)
    om.CALLBACKS.labels("status", "taken").inc()
    if not dial.outcome:  # nobody answered, or the call ended before its stream did anything
        if status in UNANSWERED:
            dial.outcome = UNANSWERED[status]
        else:
            dial.outcome = outcome_of(dial.answered_by.result()) if dial.answered_by.done() else HUMAN
        recorder = CallRecorder(state.nc.jetstream(), dial.dial_id)
        recorder.audit(AUDIT_ACTION, dial.outcome, {**dial.attributes(), "call_status": status})
        om.OUTCOMES.labels(dial.outcome).inc()
        log.info("outbound_call_not_answered", dial_id=dial.dial_id, outcome=dial.outcome, call_status=status)
        await recorder.flush()
    return web.Response(status=204)
