"""audit endpoints (queries) and its event handler (appends)."""

from __future__ import annotations

from bus.contracts import audit_pb2, events_pb2
from bus.service import RequestContext
from services import validation
from services.audit.store import AuditStore, EntryRow
from services.timestamps import to_proto


def entry_proto(row: EntryRow) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        sequence=row.sequence, event=events_pb2.AuditEvent.FromString(row.event_bytes), prev_hash=row.prev_hash,
        hash=row.hash, recorded_at=to_proto(row.recorded_at),
    )  # fmt: skip


class AuditHandlers:
    def __init__(self, store: AuditStore) -> None:
        self.store = store

    async def on_event(self, event: events_pb2.AuditEvent) -> None:
        await self.store.append(event)

    async def get_trail(
        self, req: audit_pb2.GetAuditTrailRequest, _: RequestContext
    ) -> audit_pb2.GetAuditTrailResponse:
        rows = await self.store.trail(validation.required(req.call_id, "call_id"))
        return audit_pb2.GetAuditTrailResponse(entries=[entry_proto(r) for r in rows])

    async def verify_chain(
        self, _: audit_pb2.VerifyAuditChainRequest, __: RequestContext
    ) -> audit_pb2.VerifyAuditChainResponse:
        v = await self.store.verify()
        return audit_pb2.VerifyAuditChainResponse(
            ok=v.ok, entries_checked=v.checked, first_broken_sequence=v.first_broken, detail=v.detail
        )
