"""Booking a showing once the caller said yes to the read-back: the agent's free times for the
home, the lead, the booking and the confirmation by text, each idempotent so that a retry after a
failure writes nothing twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.agent import readout, speech_text
from gateway.agent.frame import Frame
from gateway.agent.tools import ToolError
from gateway.agent.vertical import Committed, Host, Outcome, Resource


async def free_slots(host: Host, resource: Resource, start: datetime, end: datetime, count: int) -> list[datetime]:
    args = {
        "listing_id": resource.id,
        "agent_id": resource.owner,
        "time_zone": resource.time_zone,
        "from_time": start.isoformat(),
        "to_time": end.isoformat(),
        "max_slots": min(count, 30),
    }
    data = (await host.tools.call("check_availability", args, call_id=host.call_id)).data
    tz = ZoneInfo(resource.time_zone)
    return [
        datetime.fromisoformat(s["start_time"].replace("Z", "+00:00")).astimezone(tz) for s in data.get("slots", [])
    ]


async def commit(host: Host, f: Frame, resource: Resource) -> Committed:
    """The lead, the booking and the text (the frame holds the home, when, name and phone)."""
    listing: dict[str, Any] = f.listing or {}
    when: datetime | None = f.when
    assert when is not None and f.phone
    interest = f"{listing.get('bedrooms', '')} bedroom home in {f.city}: {listing.get('mls_id', '')}"
    call_id = host.call_id
    try:
        lead = await host.tools.call("write_lead", {
            "idempotency_key": f"{call_id}:lead", "name": f.name or "", "phone": f.phone,
            "interest": interest, "budget_usd": f.max_price or 0, "call_id": call_id, "email": f.email or "",
        }, call_id=call_id)  # fmt: skip
        f.set("lead_id", lead.data.get("lead", {}).get("lead_id"))
        booked = await host.tools.call("book_showing", {
            "idempotency_key": f"{call_id}:showing:{when.isoformat()}", "listing_id": resource.id,
            "agent_id": resource.owner, "time_zone": resource.time_zone, "start_time": when.isoformat(),
            "contact_name": f.name or "", "contact_phone": f.phone, "lead_id": f.lead_id or "",
            "call_id": call_id,
        }, call_id=call_id)  # fmt: skip
    except ToolError as exc:
        if exc.kind == "rejected" and exc.field in ("phone", "contact_phone"):
            return Committed(Outcome.PHONE_REJECTED, ["That number doesn't seem to be valid."])
        raise
    if "unavailable" in booked.data:
        return Committed(Outcome.TIME_GONE)  # the dialog says so and offers the nearest times
    f.set("booking_id", booked.data["booking"]["booking_id"])
    confirm = f"You're booked to see {resource.label} on {readout.moment(when)}."
    return Committed(Outcome.BOOKED, [confirm, *await _text(host, f)])


async def _text(host: Host, f: Frame) -> list[str]:
    listing: dict[str, Any] = f.listing or {}
    address = listing.get("address", {})
    when: datetime = f.when
    try:
        await host.tools.call("send_sms", {
            # The same key on a retry: a text the service took before it failed is not sent twice.
            "idempotency_key": f"{host.call_id}:sms:{f.booking_id}", "to_phone": f.phone,
            "template_id": "showing_confirmation", "call_id": host.call_id,
            "variables": {
                "name": (f.name or "there").split()[0],
                "address": f"{address.get('street', '')}, {address.get('city', '')}",
                "when": speech_text.when(when),
                "agent_name": listing.get("agent", {}).get("name", "our agent"),
            },
        }, call_id=host.call_id)  # fmt: skip
    except ToolError:
        return host.offer_retry(
            ["I couldn't send the text message right now, but your showing is booked.",
             "Shall I try the text again?"], lambda: _text(host, f))  # fmt: skip
    return [
        f"I've texted the details to {speech_text.phone(f.phone)}.",
        "Is there anything else I can help you with?",
    ]
