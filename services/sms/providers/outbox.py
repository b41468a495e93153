"""The default provider: messages go to the sms_outbox table (`voicepod sms outbox` lists it).

Offline and inspectable: what would have gone over the air is there to read.
"""

from __future__ import annotations

from services.sms.providers import Delivery
from services.sms.store import SENT, OutboxRow, SmsStore
from services.timestamps import utc_now


class OutboxProvider:
    name = "outbox"

    def __init__(self, store: SmsStore) -> None:
        self.store = store

    async def send(self, message_id: str, to_e164: str, body: str) -> Delivery:
        async with self.store.sessions.begin() as session:
            row = OutboxRow(message_id=message_id, to_phone_e164=to_e164, body=body, created_at=utc_now())
            session.add(row)
            await session.flush()
            return Delivery(status=SENT, provider_message_id=f"outbox-{row.id}")

    async def status(self, provider_message_id: str) -> Delivery | None:
        return None

    async def close(self) -> None:
        return None
