"""The calendar service definition."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.calendar.handlers import CalendarHandlers
from services.calendar.settings import showing_hours
from services.calendar.store import CalendarStore
from services.storage import StoreSettings, open_database


@asynccontextmanager
async def lifespan(_: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("calendar", StoreSettings.from_env())
    try:
        h = CalendarHandlers(CalendarStore(engine), showing_hours())
        yield [
            route(subjects.GET_AVAILABILITY, h.get_availability),
            route(subjects.BOOK_SHOWING, h.book_showing),
            route(subjects.CANCEL_BOOKING, h.cancel_booking),
            route(subjects.RESCHEDULE_BOOKING, h.reschedule_booking),
        ]
    finally:
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="calendar",
    version="0.2.0",
    description="Books property showings: availability, book, cancel, reschedule.",
    lifespan=lifespan,
    ops_port=9102,
)
