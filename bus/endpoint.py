"""Endpoint: one request/reply operation, typed on both ends.

The client and the service runtime both take an Endpoint object rather than a
subject string, so the request type, reply type and subject can never drift
apart between the two sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

RequestT = TypeVar("RequestT", bound=Message)
ReplyT = TypeVar("ReplyT", bound=Message)


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[RequestT, ReplyT]):
    service: str  # the nats.micro service name, e.g. "crm_writer"
    group: str  # the nats.micro group (subject prefix), e.g. "voicepod.crm"
    name: str  # the nats.micro endpoint name, e.g. "upsert_lead"
    request: type[RequestT]
    reply: type[ReplyT]
    # Used when the caller gives neither a deadline nor a timeout.
    default_timeout: float = 2.0

    @property
    def subject(self) -> str:
        return f"{self.group}.{self.name}"
