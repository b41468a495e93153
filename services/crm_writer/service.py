"""The crm_writer service definition."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.crm_writer.handlers import CrmHandlers
from services.crm_writer.store import LeadStore
from services.storage import StoreSettings, open_database


@asynccontextmanager
async def lifespan(_: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("crm_writer", StoreSettings.from_env())
    try:
        handlers = CrmHandlers(LeadStore(engine))
        yield [route(subjects.UPSERT_LEAD, handlers.upsert_lead), route(subjects.GET_LEAD, handlers.get_lead)]
    finally:
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="crm_writer",
    version="0.2.0",
    description="Records leads: upsert and get, idempotent by key.",
    lifespan=lifespan,
    ops_port=9101,
)
