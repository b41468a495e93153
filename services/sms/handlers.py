"""sms endpoints: at most one message, and one send, per idempotency key."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import IntegrityError

from bus import errors
from bus.contracts import sms_pb2
from bus.service import RequestContext
from services import idempotency, phone, validation
from services.sms.providers import SmsProvider
from services.sms.store import DELIVERED, FAILED, FINAL, QUEUED, SENT, UNDELIVERED, MessageRow, SmsStore
from services.sms.templates import MAX_BODY, render
from services.timestamps import to_proto, utc_now

STATUS = {
    QUEUED: sms_pb2.SMS_STATUS_QUEUED, SENT: sms_pb2.SMS_STATUS_SENT, DELIVERED: sms_pb2.SMS_STATUS_DELIVERED,
    FAILED: sms_pb2.SMS_STATUS_FAILED, UNDELIVERED: sms_pb2.SMS_STATUS_UNDELIVERED,
}  # fmt: skip


def message_proto(row: MessageRow) -> sms_pb2.SmsMessage:
    return sms_pb2.SmsMessage(
        message_id=row.message_id, to_phone_e164=row.to_phone_e164, body=row.body, status=STATUS[row.status],
        provider=row.provider, provider_message_id=row.provider_message_id, error_message=row.error_message,
        source_call_id=row.source_call_id, created_at=to_proto(row.created_at), updated_at=to_proto(row.updated_at),
    )  # fmt: skip


class SmsHandlers:
    def __init__(self, store: SmsStore, provider: SmsProvider) -> None:
        self.store = store
        self.provider = provider

    async def send_sms(self, req: sms_pb2.SendSmsRequest, _: RequestContext) -> sms_pb2.SendSmsResponse:
        key = validation.bounded(validation.required(req.idempotency_key, "idempotency_key"), "idempotency_key", 200)
        to = phone.to_e164(validation.required(req.to_phone, "to_phone"), field="to_phone")
        if req.template_id:
            body = render(req.template_id, dict(req.variables))
        else:
            body = validation.required(req.body, "body")
        if len(body) > MAX_BODY:
            raise errors.BadRequest(f"message is longer than {MAX_BODY} characters", reason="too_long", field="body")
        if await self.store.opted_out(to):
            raise errors.Conflict("the recipient has opted out of text messages", reason="recipient_opted_out",
                                  field="to_phone")  # fmt: skip
        existing = await self.store.by_key(key)
        if existing is None:
            now = utc_now()
            row = MessageRow(
                idempotency_key=key, request_sha256=idempotency.digest(req), to_phone_e164=to, body=body,
                status=QUEUED, provider=self.provider.name, source_call_id=req.source_call_id[:100],
                created_at=now, updated_at=now,
            )  # fmt: skip
            try:
                async with self.store.sessions.begin() as session:
                    session.add(row)
            except IntegrityError:
                existing = await self.store.by_key(key)  # a concurrent request with this key won the insert
                assert existing is not None
            else:
                # Only the request that created the row sends. Shielded: once the message is
                # recorded, a caller giving up (deadline) must not leave it half-sent.
                return sms_pb2.SendSmsResponse(message=message_proto(await asyncio.shield(self._deliver(row))))
        if existing.request_sha256 != idempotency.digest(req):
            raise errors.Conflict("idempotency_key was already used for a different message",
                                  reason="idempotency_key_reused", field="idempotency_key")  # fmt: skip
        return sms_pb2.SendSmsResponse(message=message_proto(existing))

    async def _deliver(self, row: MessageRow) -> MessageRow:
        delivery = await self.provider.send(row.message_id, row.to_phone_e164, row.body)
        if delivery.recipient_opted_out:
            await self.store.set_opt_out(row.to_phone_e164, True, f"{self.provider.name}_unsubscribed")
        return await self.store.update(row.message_id, status=delivery.status,
                                       provider_message_id=delivery.provider_message_id,
                                       error_message=delivery.error_message)  # fmt: skip

    async def get_sms_status(self, req: sms_pb2.GetSmsStatusRequest, _: RequestContext) -> sms_pb2.GetSmsStatusResponse:
        row = await self.store.get(validation.required(req.message_id, "message_id"))
        if row is None:
            raise errors.NotFound("no such message", reason="message_not_found")
        if row.status not in FINAL and row.provider == self.provider.name and row.provider_message_id:
            latest = await self.provider.status(row.provider_message_id)
            if latest is not None and latest.status != row.status:
                row = await self.store.update(row.message_id, status=latest.status,
                                              error_message=latest.error_message or row.error_message)  # fmt: skip
        return sms_pb2.GetSmsStatusResponse(message=message_proto(row))

    async def set_sms_opt_out(
        self, req: sms_pb2.SetSmsOptOutRequest, _: RequestContext
    ) -> sms_pb2.SetSmsOptOutResponse:
        number = phone.to_e164(validation.required(req.phone, "phone"))
        await self.store.set_opt_out(number, req.opted_out, validation.bounded(req.source, "source", 40) or "caller")
        return sms_pb2.SetSmsOptOutResponse(phone_e164=number, opted_out=req.opted_out)

    async def get_sms_opt_out(
        self, req: sms_pb2.GetSmsOptOutRequest, _: RequestContext
    ) -> sms_pb2.GetSmsOptOutResponse:
        number = phone.to_e164(validation.required(req.phone, "phone"))
        return sms_pb2.GetSmsOptOutResponse(phone_e164=number, opted_out=await self.store.opted_out(number))
