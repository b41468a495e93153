"""The audit service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="audit",
    version="0.1.0",
    description="Keeps the hash-chained audit log of what the agent did.",
    lifespan=pending_lifespan(subjects.endpoints_of("audit")),
    ops_port=9105,
)
