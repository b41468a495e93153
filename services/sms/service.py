"""The sms service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="sms",
    version="0.1.0",
    description="Sends text messages, at most once per idempotency key.",
    lifespan=pending_lifespan(subjects.endpoints_of("sms")),
    ops_port=9104,
)
