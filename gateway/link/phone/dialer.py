"""Placing an outbound call (voicepod.phone.dial, `voicepod dial`): checks, then Twilio's REST API.

A number is dialled only if it is a real one, has not been rung too often lately (DialLimits) and is
not on the do-not-call list, which is the sms service's opt-out list (asked over NATS; if the sms
service cannot say, nobody is called). The call is created with the official `twilio` SDK over its
async HTTP client, with:
  - TwiML `<Connect><Stream>` to our stream socket, the same one inbound calls use, with a token
    of ours for an outbound stream (the number dialled, long enough to ring);
  - answering-machine detection (`MachineDetection=DetectMessageEnd`, async: the stream starts at
    once, the verdict comes to AsyncAmdStatusCallback once a machine's greeting has ended);
  - a status callback for how it ended (busy, no-answer, failed, completed).
Refusals are bus errors the CLI and any NATS client see: 409 `do_not_call`, 409
`dial_limit_reached`, 400 `invalid_phone`, 503 `not_configured` / `opt_out_list_unavailable` /
`twilio_refused`.
"""

from __future__ import annotations

import structlog
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Connect, Stream, VoiceResponse

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import phone_pb2, sms_pb2
from bus.service import RequestContext
from gateway import auth
from gateway.link.phone import outbound_metrics as om
from gateway.link.phone.dial_limits import DialLimits
from gateway.link.phone.dials import OUTBOUND_AUDIENCE, Dial, Dials
from gateway.link.phone.twilio_routes import caller_number, stream_url
from gateway.phone_settings import PhoneSettings

log = structlog.get_logger("gateway.link.phone")
AMD_PATH = "/telephony/twilio/amd"
STATUS_PATH = "/telephony/twilio/status"
OPT_OUT_TIMEOUT = 3.0


class Dialer:
    def __init__(self, phone: PhoneSettings, auth_secret: bytes, bus: BusClient, dials: Dials) -> None:
        self.phone = phone
        self._secret = auth_secret
        self._bus = bus
        self.dials = dials
        self.limits = DialLimits(phone.dial_limit, phone.dial_window_seconds)
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    async def dial(self, req: phone_pb2.DialCallRequest, ctx: RequestContext) -> phone_pb2.DialCallResponse:
        if not self.phone.dials_out:
            om.DIALS.labels("not_configured").inc()
            raise errors.Unavailable("outbound calls are not set up here (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
                                     "TWILIO_FROM_NUMBER, VOICEPOD_PUBLIC_URL)", reason="not_configured")  # fmt: skip
        to = caller_number(req.to_phone.strip())
        if to is None:
            om.DIALS.labels("invalid_phone").inc()
            raise errors.BadRequest(f"{req.to_phone!r} is not a phone number in international form (+1...)",
                                    reason="invalid_phone", field="to_phone")  # fmt: skip
        await self._check_do_not_call(to, ctx)
        if not self.limits.take(to):
            om.DIALS.labels("dial_limit_reached").inc()
            raise errors.Conflict(f"{to} was called {self.limits.limit} times in the last "
                                  f"{self.limits.window:g} s: not again yet", reason="dial_limit_reached",
                                  field="to_phone")  # fmt: skip
        dial = Dial(to=to, purpose=req.purpose[:40], source_call_id=req.source_call_id[:100])
        try:
            created = await self._twilio().api.v2010.account.calls.create_async(
                to=to, from_=self.phone.from_number, twiml=self._twiml(to), timeout=self.phone.ring_seconds,
                machine_detection="DetectMessageEnd", async_amd="true",
                async_amd_status_callback=self.phone.public_url + AMD_PATH, async_amd_status_callback_method="POST",
                status_callback=self.phone.public_url + STATUS_PATH, status_callback_method="POST",
                status_callback_event=["completed"],
            )  # fmt: skip
        except TwilioRestException as e:
            om.DIALS.labels("twilio_refused").inc()
            log.warning("dial_refused_by_twilio", status=e.status, code=e.code, message=e.msg)
            raise errors.Unavailable(f"Twilio refused the call: {e.msg}", reason="twilio_refused") from None
        except (TwilioException, OSError) as e:
            om.DIALS.labels("twilio_unreachable").inc()
            log.warning("dial_failed", error=type(e).__name__)
            raise errors.Unavailable("Twilio's API could not be reached", reason="twilio_refused") from None
        dial.call_sid = str(created.sid)
        self.dials.add(dial)
        om.DIALS.labels("placed").inc()
        log.info("dial_placed", dial_id=dial.dial_id, call_sid=dial.call_sid, purpose=dial.purpose,
                 source_call_id=dial.source_call_id)  # fmt: skip
        return phone_pb2.DialCallResponse(dial_id=dial.dial_id, call_sid=dial.call_sid, to_phone_e164=to)

    async def _check_do_not_call(self, to: str, ctx: RequestContext) -> None:
        try:
            reply = await self._bus.call(subjects.GET_SMS_OPT_OUT, sms_pb2.GetSmsOptOutRequest(phone=to),
                                         timeout=OPT_OUT_TIMEOUT, call_id=ctx.call_id)  # fmt: skip
        except errors.BusError as e:
            om.DIALS.labels("opt_out_list_unavailable").inc()
            log.warning("dial_opt_out_list_unavailable", error=repr(e))
            raise errors.Unavailable("the do-not-call list (the sms service's opt-outs) could not be read: "
                                     "nobody is called", reason="opt_out_list_unavailable") from None  # fmt: skip
        if reply.opted_out:
            om.DIALS.labels("do_not_call").inc()
            raise errors.Conflict(f"{to} is on the do-not-call list (opted out)", reason="do_not_call",
                                  field="to_phone")  # fmt: skip

    def _twiml(self, to: str) -> str:
        # Valid while the number rings, then as long as an inbound stream's token.
        token = auth.mint(self._secret, subject=to, audience=OUTBOUND_AUDIENCE,
                          ttl_seconds=self.phone.ring_seconds + self.phone.stream_token_seconds)  # fmt: skip
        stream = Stream(url=stream_url(self.phone.public_url))
        stream.parameter(name="token", value=token)
        stream.parameter(name="direction", value="outbound")
        connect = Connect()
        connect.append(stream)
        response = VoiceResponse()
        response.append(connect)
        return str(response)

    def _twilio(self) -> Client:
        if self._client is None:
            self._http = AsyncTwilioHttpClient(timeout=10.0)
            self._client = Client(self.phone.twilio_account_sid, self.phone.twilio_auth_token, http_client=self._http)
            self._client.api.base_url = self.phone.twilio_api_base  # Twilio's, or a stand-in's (TWILIO_API_BASE)
        return self._client

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
