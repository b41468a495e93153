"""Shared fixtures: a real nats-server and connections to it (no mocks of the bus)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from bus.connection import connect
from bus.settings import BusSettings
from tests.nats_fixture import NatsServer, start_nats_server


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = start_nats_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bus_settings(nats_server: NatsServer) -> BusSettings:
    return BusSettings(nats_url=nats_server.url, connect_timeout=5.0, drain_timeout=5.0)


@pytest.fixture
async def nc(bus_settings: BusSettings) -> AsyncIterator[NATS]:
    conn = await connect(bus_settings, name="voicepod-test")
    try:
        yield conn
    finally:
        await conn.close()
