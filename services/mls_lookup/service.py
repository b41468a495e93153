"""The mls_lookup service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="mls_lookup",
    version="0.1.0",
    description="Searches property listings.",
    lifespan=pending_lifespan(subjects.endpoints_of("mls_lookup")),
    ops_port=9103,
)
