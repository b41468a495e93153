"""A local stand-in for Twilio's side of a phone call, speaking Twilio's real wire protocols.

The caller's side (the signed webhook, the Media Stream, the phone's speaker) is caller/twilio_line.py,
shared with the evals and benchmarks; here is what only Twilio's platform does besides: the signed
callbacks an outbound call gets (async AMD's verdict, the call's final status), and Twilio's REST API
(TwilioCallsApi: `POST /2010-04-01/Accounts/{sid}/Calls.json` as the SDK sends it, checked like
Twilio checks it).
"""

from __future__ import annotations

import uuid

import aiohttp
from aiohttp import web

from caller.twilio_line import FRAME_BYTES, RATE, SILENCE, TwilioCaller, to_mulaw

__all__ = ["FRAME_BYTES", "RATE", "SILENCE", "TwilioCallsApi", "TwilioStandIn", "to_mulaw"]


class TwilioStandIn(TwilioCaller):
    """The caller's side, and Twilio's callbacks about the call."""

    def amd_form(self, answered_by: str) -> dict[str, str]:
        """Async AMD's callback (AsyncAmdStatusCallback), as Twilio posts it."""
        return {"AccountSid": self.account_sid, "CallSid": self.call_sid, "AnsweredBy": answered_by,
                "MachineDetectionDuration": "4210"}  # fmt: skip

    def status_form(self, status: str) -> dict[str, str]:
        """The status callback (StatusCallback, event `completed`), as Twilio posts it."""
        return {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "CallSid": self.call_sid,
                "CallStatus": status, "Direction": "outbound-api", "From": self.caller, "To": self.called,
                "CallDuration": "0", "Timestamp": "Sun, 06 Dec 2026 22:00:00 +0000"}  # fmt: skip

    async def post(self, url: str, form: dict[str, str], *, signature: str | None = None) -> int:
        """Post a callback to the gateway, signed unless `signature` is given; the status."""
        headers = {"X-Twilio-Signature": self.signature(url, form) if signature is None else signature}
        async with aiohttp.ClientSession() as session, session.post(url, data=form, headers=headers) as response:
            return response.status


class TwilioCallsApi:
    """Twilio's REST API for placing calls, as far as `Calls.create` goes: HTTP Basic auth with the
    account SID and auth token (401, Twilio's error 20003, otherwise), the path
    /2010-04-01/Accounts/{AccountSid}/Calls.json (404 for another account), a form with To, From
    and one of Url, Twiml or ApplicationSid (400, 21201/21205, otherwise). A good request is
    answered 201 with the call resource (status queued, a fresh CallSid), and recorded."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.created: list[dict[str, list[str]]] = []  # each accepted request's form (a field may repeat)
        self.refused: list[int] = []  # statuses of the refused ones
        self.call_sids: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls.json", self._create)
        return app

    def _error(self, status: int, code: int, message: str) -> web.Response:
        self.refused.append(status)
        body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status}  # fmt: skip
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        expected = aiohttp.encode_basic_auth(self.account_sid, self.auth_token)
        if request.headers.get("Authorization") != expected:
            return self._error(401, 20003, "Authenticate")
        if request.match_info["account"] != self.account_sid:
            return self._error(404, 20404, "The requested resource was not found")
        posted = await request.post()
        form: dict[str, list[str]] = {}
        for key, value in posted.items():
            form.setdefault(key, []).append(str(value))
        if "To" not in form or "From" not in form:
            return self._error(400, 21201, "No 'To' number is specified" if "To" not in form else "No 'From' number")
        if not any(k in form for k in ("Url", "Twiml", "ApplicationSid")):
            return self._error(400, 21205, "Url parameter is required.")
        self.created.append(form)
        sid = "CA" + uuid.uuid4().hex
        self.call_sids.append(sid)
        resource = {
            "sid": sid, "account_sid": self.account_sid, "to": form["To"][0], "from": form["From"][0],
            "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }  # fmt: skip
        return web.json_response(resource, status=201)
