"""The async worker process (`voicepod worker async`): three durable consumers on JetStream, each
shared by every replica (one durable name per queue: a work item goes to one replica):
  - VOICEPOD_VOICEMAIL, durable `async-voicemail`: voicemail jobs (voicemail_job.py);
  - VOICEPOD_CALLBACKS, durable `async-callbacks`: callback items (callbacks.py);
  - VOICEPOD_AUDIT, durable `async-callback-outcomes`: callback dials' outcomes -> retries.
/healthz, /readyz and /metrics on its ops port, like every process."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import structlog
from nats.aio.client import Client as NATS

from bus import events
from bus.client import BusClient
from bus.connection import connect
from bus.ops_http import OpsServer
from bus.settings import BusSettings
from bus.signals import wait_for_stop_signal
from gateway.agent.config import AgentConfig
from gateway.async_work.callbacks import CallbackWork
from gateway.async_work.checkpoints import Checkpoints
from gateway.async_work.hearing import BatchHearing
from gateway.async_work.voicemail_job import VoicemailWork
from gateway.async_work.work_queue import WorkQueue
from gateway.voicemail.object_store import LocalDirectory, ObjectStore
from gateway.voicemail.settings import AsyncSettings

log = structlog.get_logger("gateway.async_work")
VOICEMAIL_DURABLE, CALLBACK_DURABLE, OUTCOME_DURABLE = "async-voicemail", "async-callbacks", "async-callback-outcomes"


class Consumer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Running:
    voicemail: VoicemailWork
    callbacks: CallbackWork


@asynccontextmanager
async def async_work(
    nc: NATS, settings: AsyncSettings, *, hearing: BatchHearing | None = None, store: ObjectStore | None = None,
    configs: Callable[[str], AgentConfig] | None = None,
) -> AsyncIterator[Running]:  # fmt: skip
    """The three consumers, running until the block ends (each finishes the item in hand)."""
    js = nc.jetstream()
    bus = BusClient(nc)
    checkpoints = await Checkpoints.open(js)
    configs = configs or functools.cache(AgentConfig.load)
    hearing = hearing or BatchHearing(settings.stt_model)
    voicemail = VoicemailWork(bus, js, store or LocalDirectory(settings.object_dir), hearing, checkpoints, configs)
    callbacks = CallbackWork(bus, js, checkpoints, configs, settings.public_url)
    wait = settings.ack_wait_seconds
    consumers: list[Consumer] = [
        WorkQueue(js, events.VOICEMAIL, VOICEMAIL_DURABLE, voicemail.handle, ack_wait_seconds=wait),
        WorkQueue(js, events.CALLBACKS, CALLBACK_DURABLE, callbacks.handle, ack_wait_seconds=wait),
        events.DurableConsumer(js, events.AUDIT, OUTCOME_DURABLE, callbacks.outcome),
    ]
    for consumer in consumers:
        await consumer.start()
    try:
        yield Running(voicemail, callbacks)
    finally:
        for consumer in reversed(consumers):
            await consumer.stop()


async def run_async_worker(settings: AsyncSettings, bus_settings: BusSettings) -> None:
    hearing = BatchHearing(settings.stt_model)
    nc = await connect(bus_settings, name="voicepod-worker-async", inbox="worker")
    started = False

    def readiness() -> dict[str, bool]:
        return {"nats": nc.is_connected, "consuming": started}

    ops = OpsServer(settings.ops_host, settings.ops_port, readiness)
    await ops.start()
    try:
        async with async_work(nc, settings, hearing=hearing):
            started = True
            # The model loads behind the ready signal (`voicepod up` starts no slower for it); the
            # first job waits for it on the STT's thread.
            warming = asyncio.create_task(hearing.warm_up())
            log.info("async_worker_started", stt=settings.stt_model, object_dir=str(settings.object_dir))
            sig = await wait_for_stop_signal()
            warming.cancel()
            log.info("stop_signal", signal=sig.name)
    finally:
        with contextlib.suppress(Exception):
            await nc.drain()
        await ops.stop()
