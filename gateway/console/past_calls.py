"""Past calls as the console shows them, read through the transcript and audit services over NATS
with the same client and JSON views as `voicepod calls|transcript|audit` (bus/ops_client.py,
bus/ops_views.py)."""

from __future__ import annotations

from typing import Any

from bus import subjects
from bus.contracts import audit_pb2, transcript_pb2
from bus.ops_client import OpsError, Services
from bus.ops_views import (
    audit_entry_dict,
    call_origin,
    call_summary_dict,
    chain_dict,
    tool_entries,
    transcript_dict,
)

RECENT = 50


async def recent_calls(services: Services, limit: int = RECENT) -> list[dict[str, Any]]:
    reply = await services.ask(subjects.LIST_CALLS, transcript_pb2.ListCallsRequest(limit=limit))
    return [call_summary_dict(c) for c in reply.calls]


async def call_detail(services: Services, call_id: str) -> dict[str, Any]:
    """The call's transcript (turns, tool calls, usage and cost, quality), its audit entries, and
    whether the audit log's hash chain verifies. Only the transcript is required: without the audit
    service the rest says why it is missing."""
    t = (await services.ask(subjects.GET_TRANSCRIPT, transcript_pb2.GetTranscriptRequest(call_id=call_id))).transcript
    problems = []
    try:
        trail = await services.ask(subjects.GET_AUDIT_TRAIL, audit_pb2.GetAuditTrailRequest(call_id=call_id))
    except OpsError as exc:
        trail = audit_pb2.GetAuditTrailResponse()
        problems.append(f"no audit trail: {exc.message}")
    try:
        chain: dict[str, Any] | None = chain_dict(
            await services.ask(subjects.VERIFY_AUDIT_CHAIN, audit_pb2.VerifyAuditChainRequest())
        )
    except OpsError as exc:
        chain = None
        problems.append(f"audit chain not verified: {exc.message}")
    return {
        "transcript": transcript_dict(t, call_origin(t), tool_entries(trail)),
        "audit": [audit_entry_dict(x) for x in trail.entries],
        "chain": chain,
        "problems": problems,
    }
