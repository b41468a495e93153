"""Shared fixtures: a real nats-server, connections to it, and real stores (no mocks)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from bus.connection import connect
from bus.settings import BusSettings
from tests.nats_fixture import NatsServer, start_nats_server
from tests.postgres import postgres_schema


@pytest.fixture(autouse=True)
def state_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes stores into the working tree's .voicepod, whatever the fixture order."""
    monkeypatch.setenv("VOICEPOD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("VOICEPOD_DB_SCHEMA", raising=False)


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


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """Point the services' stores (StoreSettings.from_env) at a fresh database.

    SQLite always; PostgreSQL when DATABASE_URL or a local server is reachable,
    in a schema of its own that is dropped afterwards.
    """
    monkeypatch.setenv("VOICEPOD_STATE_DIR", str(tmp_path / "state"))
    if request.param == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("VOICEPOD_DB_SCHEMA", raising=False)
        yield "sqlite"
        return
    async with postgres_schema() as (url, schema):
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("VOICEPOD_DB_SCHEMA", schema)
        yield "postgresql"
