"""The transcript service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="transcript",
    version="0.1.0",
    description="Stores call transcripts and exports them.",
    lifespan=pending_lifespan(subjects.endpoints_of("transcript")),
    ops_port=9106,
)
