"""Who may post to our Twilio routes: a request signed with the account's auth token
(X-Twilio-Signature over the URL Twilio requested and the form, checked by the official SDK's
RequestValidator). The voice webhook and the outbound call's callbacks (AMD, status) all go
through here."""

from __future__ import annotations

import structlog
from aiohttp import web
from twilio.request_validator import RequestValidator

from gateway.phone_settings import PhoneSettings

log = structlog.get_logger("gateway.link.phone")


class Refused(Exception):
    """The request is not Twilio's (or Twilio is not set up here): answer with `response`."""

    def __init__(self, outcome: str, response: web.Response) -> None:
        super().__init__(outcome)
        self.outcome = outcome  # "not_configured" or "bad_signature"
        self.response = response


def public_url(request: web.Request, public_base: str) -> str:
    """The URL Twilio requested: ours as configured (a proxy may have rewritten the request), else the request's."""
    return public_base + request.path_qs if public_base else str(request.url)


async def signed_form(request: web.Request, phone: PhoneSettings) -> dict[str, str]:
    """The posted form, if Twilio signed it; else Refused (503 not set up, 403 unsigned or wrong)."""
    if not phone.twilio_auth_token:
        log.warning("twilio_webhook_not_configured", path=request.path, hint="set TWILIO_AUTH_TOKEN")
        body = {"error": "not_configured", "message": "phone calls are not set up here"}
        raise Refused("not_configured", web.json_response(body, status=503))
    form = await request.post()
    params = {key: str(value) for key, value in form.items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = public_url(request, phone.public_url)
    if not signature or not RequestValidator(phone.twilio_auth_token).validate(url, params, signature):
        log.warning("twilio_webhook_refused", reason="missing_signature" if not signature else "bad_signature",
                    url=url, peer=request.remote)  # fmt: skip
        body = {"error": "forbidden", "message": "X-Twilio-Signature missing or wrong"}
        raise Refused("bad_signature", web.json_response(body, status=403))
    return params
