"""One scenario's world: fresh stores, the agent's services in-process on the run's nats-server,
and the scenario's faults applied.

Services run as `voicepod service NAME` runs them (their ServiceDefinition lifespan opens the
store, a ServiceRuntime serves the routes), but in this process, so a scenario costs tens of
milliseconds rather than six process starts. Faults:
  - down: the service is not started (the agent's request finds no responders);
  - hung: a subscriber in the service's queue group swallows every request (deadline exceeded);
  - taken: a slot booked by someone else, through the real calendar, before a given turn.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from bus import subjects
from bus.client import BusClient
from bus.connection import connect
from bus.contracts import calendar_pb2, mls_pb2
from bus.runner import ServiceDefinition, ServiceEnv, serving_in_process
from bus.service import ServiceRuntime
from bus.settings import BusSettings
from evals.scenario import Faults, TakenSlot
from evals.tap import SOMEONE_ELSE, ToolTap
from services.registry import DEFINITIONS
from services.timestamps import to_proto

# Settings that would make a run depend on the machine: a PostgreSQL URL, a real SMS provider,
# another MLS feed, other showing hours. Evals always run on fresh SQLite stores with the defaults.
NEUTRAL_ENV: dict[str, str | None] = {
    name: None
    for name in (
        "DATABASE_URL", "VOICEPOD_DB_SCHEMA", "VOICEPOD_MLS_FEED", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
        "VOICEPOD_SHOWING_OPEN_HOUR", "VOICEPOD_SHOWING_CLOSE_HOUR", "VOICEPOD_SHOWING_SLOT_MINUTES",
    )
}  # fmt: skip
MLS = "mls_lookup"


@contextlib.contextmanager
def patched_env(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables; restore them afterwards."""
    saved = {name: os.environ.get(name) for name in changes}

    def apply(values: Mapping[str, str | None]) -> None:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    apply(changes)
    try:
        yield
    finally:
        apply(saved)


def serving(definition: ServiceDefinition, nc: NATS) -> contextlib.AbstractAsyncContextManager[ServiceRuntime]:
    """A service in this process, on `nc`, until the block ends."""
    return serving_in_process(definition, nc)


async def seed_mls_template(directory: Path) -> Path:
    """The MLS store seeded once per run (it is read-only to the agent); scenarios get a copy."""
    with patched_env({"VOICEPOD_STATE_DIR": str(directory)}):
        async with DEFINITIONS[MLS].lifespan(ServiceEnv(NATS(), BusSettings())):
            pass
    return directory


class World:
    """Enter to start the services of `services` in a fresh `state_dir`; exit to stop them."""

    def __init__(
        self, nats_url: str, state_dir: Path, services: tuple[str, ...], faults: Faults, mls_template: Path | None
    ) -> None:
        self.nats_url = nats_url
        self.state_dir = state_dir
        self.services = services
        self.faults = faults
        self._mls_template = mls_template
        self._stack = contextlib.AsyncExitStack()
        self.nc: NATS | None = None
        self.tap = ToolTap()  # the agent's write requests, by caller turn (the confirmation check)

    @property
    def bus(self) -> BusClient:
        assert self.nc is not None, "the world is not running"
        return BusClient(self.nc)

    async def __aenter__(self) -> World:
        self.state_dir.mkdir(parents=True)
        if self._mls_template is not None and MLS in self.services:
            for f in self._mls_template.glob(f"{MLS}.db*"):
                shutil.copy(f, self.state_dir / f.name)
        try:
            settings = BusSettings(nats_url=self.nats_url, connect_timeout=10, drain_timeout=5)
            self.nc = await connect(settings, name="voicepod-eval", inbox="eval")
            self._stack.push_async_callback(self.nc.close)
            with patched_env({"VOICEPOD_STATE_DIR": str(self.state_dir)}):
                for name in self.services:
                    if name in self.faults.hung:
                        await self._swallow(name)
                    elif name not in self.faults.down:
                        await self._stack.enter_async_context(serving(DEFINITIONS[name], self.nc))
            running = tuple(name for name in self.services if name not in self.faults.down)
            await self.tap.start(self.nc, running)
            self._stack.push_async_callback(self.tap.stop)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _swallow(self, service: str) -> None:
        """Take the service's requests (in its queue group) and never answer them."""
        assert self.nc is not None

        async def ignore(_: Msg) -> None:
            return None

        for endpoint in subjects.endpoints_of(service):
            sub = await self.nc.subscribe(endpoint.subject, queue=service, cb=ignore)
            self._stack.push_async_callback(sub.unsubscribe)

    async def book_taken(self, slot: TakenSlot, clock: datetime) -> datetime:
        """Book `slot` for someone else, as a competing caller would; returns its start."""
        found = await self.bus.call(subjects.GET_LISTING, mls_pb2.GetListingRequest(mls_id=slot.listing), timeout=5)
        listing = found.listing
        start = slot.at.resolve(clock, ZoneInfo(listing.time_zone))
        reply = await self.bus.call(
            subjects.BOOK_SHOWING,
            calendar_pb2.BookShowingRequest(
                idempotency_key=f"eval-taken:{slot.listing}:{start.isoformat()}",
                listing_id=listing.mls_id,
                agent_id=listing.agent.agent_id,
                time_zone=listing.time_zone,
                start_time=to_proto(start),
                contact_name="Someone Else",
                contact_phone="+15125550100",
                source_call_id=SOMEONE_ELSE,
            ),
            timeout=5,
        )
        if not reply.HasField("booking"):
            raise RuntimeError(f"could not pre-book {slot.listing} at {start}: {reply.unavailable.reason}")
        return start
