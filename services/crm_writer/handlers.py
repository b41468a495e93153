"""crm_writer endpoints: decode -> validate -> store -> reply."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bus import errors
from bus.contracts import crm_pb2
from bus.service import RequestContext
from services import idempotency, phone, validation
from services.crm_writer.store import IdempotencyKeyRow, LeadRow, LeadStore
from services.timestamps import to_proto, utc_now


def lead_to_proto(row: LeadRow) -> crm_pb2.Lead:
    return crm_pb2.Lead(
        lead_id=row.lead_id,
        name=row.name,
        phone_e164=row.phone_e164,
        email=row.email,
        interest=row.interest,
        budget_usd=row.budget_usd,
        notes=row.notes,
        source_call_id=row.source_call_id,
        created_at=to_proto(row.created_at),
        updated_at=to_proto(row.updated_at),
    )


class CrmHandlers:
    def __init__(self, store: LeadStore) -> None:
        self.store = store

    async def upsert_lead(self, req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        key = validation.bounded(validation.required(req.idempotency_key, "idempotency_key"), "idempotency_key", 200)
        fields = {
            "name": validation.bounded(req.name, "name", 200),
            "phone_e164": phone.to_e164(validation.required(req.phone, "phone")),
            "email": validation.email(validation.bounded(req.email, "email", 320)),
            "interest": validation.bounded(req.interest, "interest", 1000),
            "budget_usd": validation.non_negative(req.budget_usd, "budget_usd"),
            "notes": validation.bounded(req.notes, "notes", 4000),
            "source_call_id": validation.bounded(req.source_call_id, "source_call_id", 100),
        }
        # A concurrent request with the same key or phone can win the insert; the retry then sees its row.
        for _attempt in range(3):
            try:
                return await self._upsert_once(key, req, fields)
            except IntegrityError:
                continue
        raise errors.Conflict("the lead changed concurrently; retry", reason="concurrent_update")

    async def _upsert_once(
        self, key: str, req: crm_pb2.UpsertLeadRequest, fields: dict[str, object]
    ) -> crm_pb2.UpsertLeadResponse:
        async with self.store.sessions.begin() as session:
            seen = await idempotency.replay(session, IdempotencyKeyRow, key, req, crm_pb2.UpsertLeadResponse)
            if seen is not None:
                return seen
            now = utc_now()
            lead = await self.store.lead_by_phone(session, str(fields["phone_e164"]))
            created = lead is None
            if lead is None:
                lead = LeadRow(**fields, created_at=now, updated_at=now)
                session.add(lead)
            else:
                # An update keeps what the caller did not say this time.
                for name, value in fields.items():
                    if value:
                        setattr(lead, name, value)
                lead.updated_at = now
            await session.flush()
            reply = crm_pb2.UpsertLeadResponse(lead=lead_to_proto(lead), created=created)
            idempotency.remember(session, IdempotencyKeyRow, key, req, reply)
        return reply

    async def get_lead(self, req: crm_pb2.GetLeadRequest, _: RequestContext) -> crm_pb2.GetLeadResponse:
        which = req.WhichOneof("key")
        if which == "lead_id":
            row = await self.store.get(lead_id=validation.required(req.lead_id, "lead_id"))
        elif which == "phone":
            row = await self.store.get(phone_e164=phone.to_e164(req.phone))
        else:
            raise errors.BadRequest("give lead_id or phone", reason="missing_field", field="key")
        if row is None:
            raise errors.NotFound("no such lead", reason="lead_not_found")
        return crm_pb2.GetLeadResponse(lead=lead_to_proto(row))
