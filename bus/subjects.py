"""Every NATS subject the pod uses, in one place.

Subjects run from general to specific: `voicepod.<area>.<operation>` for
requests, `voicepod.events.<stream>.<call_id>` for durable events. Each request
endpoint matches one rpc of a service in proto/voicepod/v1 (a test holds them
together).
"""

from __future__ import annotations

from typing import Any

from bus.contracts import audit_pb2, calendar_pb2, crm_pb2, mls_pb2, phone_pb2, sms_pb2, transcript_pb2
from bus.endpoint import Endpoint

# --- crm_writer ---------------------------------------------------------------
CRM = "voicepod.crm"
UPSERT_LEAD = Endpoint("crm_writer", CRM, "upsert_lead", crm_pb2.UpsertLeadRequest, crm_pb2.UpsertLeadResponse)
GET_LEAD = Endpoint("crm_writer", CRM, "get_lead", crm_pb2.GetLeadRequest, crm_pb2.GetLeadResponse)

# --- calendar -----------------------------------------------------------------
CALENDAR = "voicepod.calendar"
GET_AVAILABILITY = Endpoint(
    "calendar",
    CALENDAR,
    "get_availability",
    calendar_pb2.GetAvailabilityRequest,
    calendar_pb2.GetAvailabilityResponse,
)
BOOK_SHOWING = Endpoint(
    "calendar", CALENDAR, "book_showing", calendar_pb2.BookShowingRequest, calendar_pb2.BookShowingResponse
)
CANCEL_BOOKING = Endpoint(
    "calendar", CALENDAR, "cancel_booking", calendar_pb2.CancelBookingRequest, calendar_pb2.CancelBookingResponse
)
RESCHEDULE_BOOKING = Endpoint(
    "calendar",
    CALENDAR,
    "reschedule_booking",
    calendar_pb2.RescheduleBookingRequest,
    calendar_pb2.RescheduleBookingResponse,
)

# --- mls_lookup ---------------------------------------------------------------
MLS = "voicepod.mls"
SEARCH_LISTINGS = Endpoint(
    "mls_lookup", MLS, "search_listings", mls_pb2.SearchListingsRequest, mls_pb2.SearchListingsResponse
)
GET_LISTING = Endpoint("mls_lookup", MLS, "get_listing", mls_pb2.GetListingRequest, mls_pb2.GetListingResponse)

# --- sms ----------------------------------------------------------------------
SMS = "voicepod.sms"
SEND_SMS = Endpoint("sms", SMS, "send", sms_pb2.SendSmsRequest, sms_pb2.SendSmsResponse)
GET_SMS_STATUS = Endpoint("sms", SMS, "status", sms_pb2.GetSmsStatusRequest, sms_pb2.GetSmsStatusResponse)
SET_SMS_OPT_OUT = Endpoint("sms", SMS, "set_opt_out", sms_pb2.SetSmsOptOutRequest, sms_pb2.SetSmsOptOutResponse)
GET_SMS_OPT_OUT = Endpoint("sms", SMS, "get_opt_out", sms_pb2.GetSmsOptOutRequest, sms_pb2.GetSmsOptOutResponse)

# --- audit --------------------------------------------------------------------
AUDIT = "voicepod.audit"
GET_AUDIT_TRAIL = Endpoint("audit", AUDIT, "get_trail", audit_pb2.GetAuditTrailRequest, audit_pb2.GetAuditTrailResponse)
VERIFY_AUDIT_CHAIN = Endpoint(
    "audit",
    AUDIT,
    "verify_chain",
    audit_pb2.VerifyAuditChainRequest,
    audit_pb2.VerifyAuditChainResponse,
    default_timeout=30.0,
)

# --- transcript ---------------------------------------------------------------
TRANSCRIPT = "voicepod.transcript"
GET_TRANSCRIPT = Endpoint(
    "transcript", TRANSCRIPT, "get", transcript_pb2.GetTranscriptRequest, transcript_pb2.GetTranscriptResponse
)
EXPORT_TRANSCRIPT = Endpoint(
    "transcript",
    TRANSCRIPT,
    "export",
    transcript_pb2.ExportTranscriptRequest,
    transcript_pb2.ExportTranscriptResponse,
)
LIST_CALLS = Endpoint(
    "transcript", TRANSCRIPT, "list_calls", transcript_pb2.ListCallsRequest, transcript_pb2.ListCallsResponse
)
# Shadow mode's stored records (desk turns beside the agent's recommendations), for `voicepod shadow report`.
LIST_SHADOW_RECORDS = Endpoint(
    "transcript",
    TRANSCRIPT,
    "list_shadow",
    transcript_pb2.ListShadowRecordsRequest,
    transcript_pb2.ListShadowRecordsResponse,
)

ALL_ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    UPSERT_LEAD, GET_LEAD,
    GET_AVAILABILITY, BOOK_SHOWING, CANCEL_BOOKING, RESCHEDULE_BOOKING,
    SEARCH_LISTINGS, GET_LISTING,
    SEND_SMS, GET_SMS_STATUS, SET_SMS_OPT_OUT, GET_SMS_OPT_OUT,
    GET_AUDIT_TRAIL, VERIFY_AUDIT_CHAIN,
    GET_TRANSCRIPT, EXPORT_TRANSCRIPT, LIST_CALLS, LIST_SHADOW_RECORDS,
)  # fmt: skip

SERVICE_NAMES: tuple[str, ...] = ("crm_writer", "calendar", "mls_lookup", "sms", "audit", "transcript")


def endpoints_of(service: str) -> tuple[Endpoint[Any, Any], ...]:
    return tuple(e for e in ALL_ENDPOINTS if e.service == service)


# --- served by the gateway (not a service process the supervisor runs) ------------
PHONE = "voicepod.phone"
# Placing a call waits on Twilio's REST API (and the sms service's opt-out list) before it answers.
DIAL_CALL = Endpoint(
    "gateway", PHONE, "dial", phone_pb2.DialCallRequest, phone_pb2.DialCallResponse, default_timeout=15.0
)
GATEWAY_ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (DIAL_CALL,)
# The console's live calls: every gateway process answers this core NATS request with its own
# (JSON, gateway/console/live.py), so a console sees the calls of all the workers, not one's.
CONSOLE_LIVE = "voicepod.gateway.console_live"


# --- durable events (JetStream) -----------------------------------------------
AUDIT_STREAM = "VOICEPOD_AUDIT"
AUDIT_EVENTS = "voicepod.events.audit"  # + ".<call_id>"
TRANSCRIPT_STREAM = "VOICEPOD_TRANSCRIPT"
TRANSCRIPT_EVENTS = "voicepod.events.transcript"  # + ".<call_id>"

# --- async mode: work queues (JetStream work-queue streams) and usage records ------
VOICEMAIL_STREAM = "VOICEPOD_VOICEMAIL"
VOICEMAIL_JOBS = "voicepod.work.voicemail"  # + ".<call_id>"
CALLBACK_STREAM = "VOICEPOD_CALLBACKS"
CALLBACK_ITEMS = "voicepod.work.callback"  # + ".<call_id>"
USAGE_STREAM = "VOICEPOD_USAGE"
USAGE_EVENTS = "voicepod.events.usage"  # + ".<call_id>"
