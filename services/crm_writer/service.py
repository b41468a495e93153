"""The crm_writer service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="crm_writer",
    version="0.1.0",
    description="Records leads: upsert and get, idempotent by key.",
    lifespan=pending_lifespan(subjects.endpoints_of("crm_writer")),
    ops_port=9101,
)
