"""The real-estate tools: JSON schemas (what an LLM or the dialog agent may ask for) mapped
onto the services' Protobuf requests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from bus import subjects
from bus.contracts import calendar_pb2, crm_pb2, mls_pb2, sms_pb2
from gateway.agent.tools import Tool

PROPERTY_TYPES = {
    "single_family": mls_pb2.PROPERTY_TYPE_SINGLE_FAMILY,
    "condo": mls_pb2.PROPERTY_TYPE_CONDO,
    "townhouse": mls_pb2.PROPERTY_TYPE_TOWNHOUSE,
    "multi_family": mls_pb2.PROPERTY_TYPE_MULTI_FAMILY,
    "land": mls_pb2.PROPERTY_TYPE_LAND,
}
DATE_TIME = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT"}
PHONE = {"type": "string", "minLength": 7, "maxLength": 32}
KEY = {"type": "string", "minLength": 1, "maxLength": 200}


def ts(iso: str) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(datetime.fromisoformat(iso))
    return t


def _search(a: Mapping[str, Any]) -> mls_pb2.SearchListingsRequest:
    kinds = [PROPERTY_TYPES[k] for k in ([a["property_type"]] if a.get("property_type") else [])]
    kinds += [PROPERTY_TYPES[k] for k in a.get("property_types", []) if PROPERTY_TYPES[k] not in kinds]
    return mls_pb2.SearchListingsRequest(
        city=a.get("city", ""),
        state=a.get("state", ""),
        min_price_usd=a.get("min_price_usd", 0),
        max_price_usd=a.get("max_price_usd", 0),
        min_bedrooms=a.get("min_bedrooms", 0),
        min_bathrooms=a.get("min_bathrooms", 0),
        property_types=kinds,
        text=a.get("text", ""),
        limit=a.get("limit", 3),
        offset=a.get("offset", 0),
    )


def _availability(a: Mapping[str, Any]) -> calendar_pb2.GetAvailabilityRequest:
    req = calendar_pb2.GetAvailabilityRequest(
        listing_id=a["listing_id"],
        agent_id=a.get("agent_id", ""),
        time_zone=a["time_zone"],
        max_slots=a.get("max_slots", 3),
    )
    if a.get("from_time"):
        req.from_time.CopyFrom(ts(a["from_time"]))
    if a.get("to_time"):
        req.to_time.CopyFrom(ts(a["to_time"]))
    return req


SEARCH_LISTINGS = Tool(
    name="search_listings",
    description="Find homes for sale. Use what the caller asked for; omit what they did not.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "city": {"type": "string", "maxLength": 100},
            "state": {"type": "string", "maxLength": 2},
            "min_price_usd": {"type": "integer", "minimum": 0},
            "max_price_usd": {"type": "integer", "minimum": 0},
            "min_bedrooms": {"type": "integer", "minimum": 0, "maximum": 20},
            "min_bathrooms": {"type": "number", "minimum": 0, "maximum": 20},
            "property_type": {"enum": list(PROPERTY_TYPES)},
            # "a condo or a townhouse, either": any of these.
            "property_types": {"type": "array", "items": {"enum": list(PROPERTY_TYPES)}, "maxItems": 5},
            "text": {"type": "string", "maxLength": 200},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10},
            # Listings come cheapest first: an offset reaches the dearest ones (and later pages).
            "offset": {"type": "integer", "minimum": 0},
        },
    },
    endpoint=subjects.SEARCH_LISTINGS,
    build=_search,
    deadline_seconds=2.0,
    read_only=True,
)

GET_LISTING = Tool(
    name="get_listing",
    description="Read one listing by MLS id or by street address.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {"mls_id": {"type": "string", "maxLength": 40}, "address": {"type": "string", "maxLength": 300}},
        "oneOf": [{"required": ["mls_id"]}, {"required": ["address"]}],
    },
    endpoint=subjects.GET_LISTING,
    build=lambda a: (
        mls_pb2.GetListingRequest(mls_id=a["mls_id"])
        if "mls_id" in a
        else mls_pb2.GetListingRequest(address=a["address"])
    ),
    deadline_seconds=2.0,
    read_only=True,
)

CHECK_AVAILABILITY = Tool(
    name="check_availability",
    description="Free showing slots for a listing, earliest first.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["listing_id", "time_zone"],
        "properties": {
            "listing_id": {"type": "string", "minLength": 1},
            "agent_id": {"type": "string"},
            "time_zone": {"type": "string", "minLength": 3},
            "from_time": DATE_TIME,
            "to_time": DATE_TIME,
            "max_slots": {"type": "integer", "minimum": 1, "maximum": 30},
        },
    },
    endpoint=subjects.GET_AVAILABILITY,
    build=_availability,
    deadline_seconds=2.0,
    read_only=True,
)

BOOK_SHOWING = Tool(
    name="book_showing",
    description="Book a showing of a listing at a start time the calendar offered.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["idempotency_key", "listing_id", "time_zone", "start_time"],
        "properties": {
            "idempotency_key": KEY,
            "listing_id": {"type": "string", "minLength": 1},
            "agent_id": {"type": "string"},
            "time_zone": {"type": "string", "minLength": 3},
            "start_time": DATE_TIME,
            "contact_name": {"type": "string", "maxLength": 200},
            "contact_phone": PHONE,
            "lead_id": {"type": "string"},
            "call_id": {"type": "string"},
        },
    },
    endpoint=subjects.BOOK_SHOWING,
    build=lambda a: calendar_pb2.BookShowingRequest(
        idempotency_key=a["idempotency_key"],
        listing_id=a["listing_id"],
        agent_id=a.get("agent_id", ""),
        time_zone=a["time_zone"],
        start_time=ts(a["start_time"]),
        contact_name=a.get("contact_name", ""),
        contact_phone=a.get("contact_phone", ""),
        lead_id=a.get("lead_id", ""),
        source_call_id=a.get("call_id", ""),
    ),
    deadline_seconds=3.0,
    confirmed_phone="contact_phone",
    needs_yes=True,
)

WRITE_LEAD = Tool(
    name="write_lead",
    description="Record the caller as a lead (name, phone, what they look for).",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["idempotency_key", "phone"],
        "properties": {
            "idempotency_key": KEY,
            "name": {"type": "string", "maxLength": 200},
            "phone": PHONE,
            "email": {"type": "string", "maxLength": 320},
            "interest": {"type": "string", "maxLength": 1000},
            "budget_usd": {"type": "integer", "minimum": 0},
            "notes": {"type": "string", "maxLength": 4000},
            "call_id": {"type": "string"},
        },
    },
    endpoint=subjects.UPSERT_LEAD,
    build=lambda a: crm_pb2.UpsertLeadRequest(
        idempotency_key=a["idempotency_key"],
        name=a.get("name", ""),
        phone=a["phone"],
        email=a.get("email", ""),
        interest=a.get("interest", ""),
        budget_usd=a.get("budget_usd", 0),
        notes=a.get("notes", ""),
        source_call_id=a.get("call_id", ""),
    ),
    deadline_seconds=3.0,
    confirmed_phone="phone",
    needs_yes=True,
)

SEND_SMS = Tool(
    name="send_sms",
    description="Text the caller a confirmation (only to the caller's own confirmed number).",
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["idempotency_key", "to_phone", "template_id"],
        "properties": {
            "idempotency_key": KEY,
            "to_phone": PHONE,
            "template_id": {
                "enum": ["showing_confirmation", "showing_rescheduled", "showing_cancelled", "listing_details"]
            },
            "variables": {"type": "object", "additionalProperties": {"type": "string"}},
            "call_id": {"type": "string"},
        },
    },
    endpoint=subjects.SEND_SMS,
    build=lambda a: sms_pb2.SendSmsRequest(
        idempotency_key=a["idempotency_key"],
        to_phone=a["to_phone"],
        template_id=a["template_id"],
        variables=a.get("variables", {}),
        source_call_id=a.get("call_id", ""),
    ),
    deadline_seconds=5.0,
    confirmed_phone="to_phone",
)

ALL = [SEARCH_LISTINGS, GET_LISTING, CHECK_AVAILABILITY, BOOK_SHOWING, WRITE_LEAD, SEND_SMS]
