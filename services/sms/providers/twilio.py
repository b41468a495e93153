"""Twilio's Programmable Messaging REST API (2010-04-01), over aiohttp.

Retries with exponential back-off only where Twilio says the message was not
taken (5xx, 429) or the connection failed before the request went out; an
ambiguous failure (timeout after sending) is not retried, so a message is sent
at most once. Tested against a local server that answers like Twilio's API;
not against Twilio itself (no network here).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

from services.sms.providers import Delivery
from services.sms.store import DELIVERED, FAILED, QUEUED, SENT, UNDELIVERED

log = structlog.get_logger("services.sms.twilio")

STATUS = {
    "accepted": QUEUED, "scheduled": QUEUED, "queued": QUEUED, "sending": QUEUED, "sent": SENT,
    "delivered": DELIVERED, "read": DELIVERED, "receiving": QUEUED, "received": DELIVERED,
    "undelivered": UNDELIVERED, "failed": FAILED, "canceled": FAILED,
}  # fmt: skip
UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str = ""
    messaging_service_sid: str = ""
    api_base: str = "https://api.twilio.com"
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0


class TwilioProvider:
    name = "twilio"

    def __init__(self, settings: TwilioSettings) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.settings = settings
        self._session = aiohttp.ClientSession(
            headers={"Authorization": aiohttp.encode_basic_auth(settings.account_sid, settings.auth_token)},
            timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds),
        )

    @property
    def _messages_url(self) -> str:
        return f"{self.settings.api_base}/2010-04-01/Accounts/{self.settings.account_sid}/Messages"

    async def send(self, message_id: str, to_e164: str, body: str) -> Delivery:
        form = {"To": to_e164, "Body": body}
        if self.settings.messaging_service_sid:
            form["MessagingServiceSid"] = self.settings.messaging_service_sid
        else:
            form["From"] = self.settings.from_number
        delay = self.settings.backoff_seconds
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                async with self._session.post(f"{self._messages_url}.json", data=form) as resp:
                    payload = await _json(resp)
                    if resp.status in (200, 201):
                        return _delivery(payload)
                    retry_after = resp.headers.get("Retry-After")
                    if resp.status != 429 and resp.status < 500:
                        code = payload.get("code")
                        return Delivery(
                            status=FAILED,
                            error_message=f"twilio {resp.status} {code}: {payload.get('message', '')}"[:500],
                            recipient_opted_out=code == UNSUBSCRIBED,
                        )
            except aiohttp.ClientConnectorError as exc:  # never reached Twilio: safe to retry
                retry_after = None
                log.warning("twilio_unreachable", attempt=attempt, error=str(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                # The request may have been taken: retrying could send twice.
                return Delivery(status=FAILED, error_message=f"twilio request failed, delivery unknown: {exc!r}"[:500])
            if attempt == self.settings.max_attempts:
                break
            wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
            log.info("twilio_retry", message_id=message_id, attempt=attempt, wait_seconds=wait)
            await asyncio.sleep(wait)  # back-off between attempts
            delay *= 2
        return Delivery(status=FAILED, error_message=f"twilio unavailable after {self.settings.max_attempts} attempts")

    async def status(self, provider_message_id: str) -> Delivery | None:
        async with self._session.get(f"{self._messages_url}/{provider_message_id}.json") as resp:
            if resp.status != 200:
                return None
            return _delivery(await _json(resp))

    async def close(self) -> None:
        await self._session.close()


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _delivery(payload: dict[str, Any]) -> Delivery:
    status = STATUS.get(str(payload.get("status", "")), QUEUED)
    error = payload.get("error_message") or (
        f"twilio error {payload['error_code']}" if payload.get("error_code") else ""
    )
    return Delivery(status=status, provider_message_id=str(payload.get("sid", "")), error_message=str(error)[:500])
