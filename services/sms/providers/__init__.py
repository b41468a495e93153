"""SMS providers behind one small interface: the outbox table (default) or Twilio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    status: str  # services.sms.store: queued, sent, delivered, failed, undelivered
    provider_message_id: str = ""
    error_message: str = ""
    # The provider refuses this recipient because they unsubscribed (e.g. replied STOP).
    recipient_opted_out: bool = False


class SmsProvider(Protocol):
    name: str

    async def send(self, message_id: str, to_e164: str, body: str) -> Delivery: ...

    async def status(self, provider_message_id: str) -> Delivery | None:
        """The provider's current view, or None when it keeps none beyond the send."""
        ...

    async def close(self) -> None: ...
