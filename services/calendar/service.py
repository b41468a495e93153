"""The calendar service definition."""

from bus import subjects
from bus.runner import ServiceDefinition
from services.pending import pending_lifespan

DEFINITION = ServiceDefinition(
    name="calendar",
    version="0.1.0",
    description="Books property showings: availability, book, cancel, reschedule.",
    lifespan=pending_lifespan(subjects.endpoints_of("calendar")),
    ops_port=9102,
)
