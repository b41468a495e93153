"""The endpoint catalog (bus.subjects) and the proto service definitions say the same thing."""

from __future__ import annotations

import re

from google.protobuf import descriptor_pool

from bus import subjects
from bus.contracts import audit_pb2, calendar_pb2, crm_pb2, mls_pb2, phone_pb2, sms_pb2, transcript_pb2

PROTO_SERVICES = {
    "crm_writer": crm_pb2.DESCRIPTOR.services_by_name["CrmWriterService"],
    "calendar": calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"],
    "mls_lookup": mls_pb2.DESCRIPTOR.services_by_name["MlsLookupService"],
    "sms": sms_pb2.DESCRIPTOR.services_by_name["SmsService"],
    "audit": audit_pb2.DESCRIPTOR.services_by_name["AuditService"],
    "transcript": transcript_pb2.DESCRIPTOR.services_by_name["TranscriptService"],
}


def test_every_rpc_has_exactly_one_endpoint_with_the_same_types() -> None:
    for service, proto in PROTO_SERVICES.items():
        rpcs = {(m.input_type.full_name, m.output_type.full_name) for m in proto.methods}
        endpoints = {
            (e.request.DESCRIPTOR.full_name, e.reply.DESCRIPTOR.full_name) for e in subjects.endpoints_of(service)
        }
        assert endpoints == rpcs, service


def test_catalog_covers_the_six_services_and_nothing_else() -> None:
    assert set(subjects.SERVICE_NAMES) == set(PROTO_SERVICES)
    assert {e.service for e in subjects.ALL_ENDPOINTS} == set(subjects.SERVICE_NAMES)


def test_the_gateways_endpoints_are_its_phone_services_rpcs() -> None:
    rpcs = {(m.input_type.full_name, m.output_type.full_name)
            for m in phone_pb2.DESCRIPTOR.services_by_name["PhoneService"].methods}  # fmt: skip
    assert {(e.request.DESCRIPTOR.full_name, e.reply.DESCRIPTOR.full_name) for e in subjects.GATEWAY_ENDPOINTS} == rpcs
    assert {e.service for e in subjects.GATEWAY_ENDPOINTS} == {"gateway"}


def test_subjects_are_unique_and_well_formed() -> None:
    subs = [e.subject for e in (*subjects.ALL_ENDPOINTS, *subjects.GATEWAY_ENDPOINTS)]
    assert len(subs) == len(set(subs))
    for s in subs:
        assert re.fullmatch(r"voicepod\.[a-z_]+\.[a-z_]+", s), s


def test_generated_code_is_in_the_default_pool_once() -> None:
    pool = descriptor_pool.Default()
    assert pool.FindMessageTypeByName("voicepod.v1.Error").name == "Error"
