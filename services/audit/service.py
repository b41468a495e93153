"""The audit service: consumes audit events from JetStream into the hash-chained log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import events, subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.audit.handlers import AuditHandlers
from services.audit.store import AuditStore
from services.storage import StoreSettings, open_database


@asynccontextmanager
async def lifespan(env: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("audit", StoreSettings.from_env())
    h = AuditHandlers(AuditStore(engine))
    consumer = events.DurableConsumer(env.nc.jetstream(), events.AUDIT, "audit", h.on_event)
    await consumer.start()
    try:
        yield [route(subjects.GET_AUDIT_TRAIL, h.get_trail), route(subjects.VERIFY_AUDIT_CHAIN, h.verify_chain)]
    finally:
        await consumer.stop()
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="audit",
    version="0.2.0",
    description="Keeps the hash-chained audit log of what the agent did.",
    lifespan=lifespan,
    ops_port=9105,
)
