"""The transcript service: consumes transcript events from JetStream and answers per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import events, subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.storage import StoreSettings, open_database
from services.transcript.handlers import TranscriptHandlers
from services.transcript.store import TranscriptStore


@asynccontextmanager
async def lifespan(env: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("transcript", StoreSettings.from_env())
    h = TranscriptHandlers(TranscriptStore(engine))
    consumer = events.DurableConsumer(env.nc.jetstream(), events.TRANSCRIPT, "transcript", h.on_event)
    await consumer.start()
    try:
        yield [
            route(subjects.GET_TRANSCRIPT, h.get_transcript),
            route(subjects.EXPORT_TRANSCRIPT, h.export_transcript),
            route(subjects.LIST_CALLS, h.list_calls),
            route(subjects.LIST_SHADOW_RECORDS, h.list_shadow),
        ]
    finally:
        await consumer.stop()
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="transcript",
    version="0.4.0",
    description="Stores call transcripts (and shadow-mode records), exports them and lists recent calls.",
    lifespan=lifespan,
    ops_port=9106,
)
