"""The one place that opens a service's database and brings its schema up to date.

SQLite by default (one file per service under the state directory), PostgreSQL
when DATABASE_URL is set. Each service has its own Alembic history
(`services/<name>/migrations/`) and version table, so services sharing one
PostgreSQL database never step on each other's migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# Re-exported: the settings live in a settings module (read there from the environment), used by many.
from services.store_settings import StoreSettings as StoreSettings
from services.store_spans import trace_statements

MIGRATIONS_ENV = Path(__file__).parent / "migrations"
READ_ONLY = "voicepod_read_only"


async def open_database(service: str, settings: StoreSettings) -> AsyncEngine:
    """Create the engine and apply the service's migrations (idempotent, safe with replicas)."""
    url = settings.url_for(service)
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 30  # seconds to wait on a locked database
    elif settings.schema:
        connect_args["server_settings"] = {"search_path": settings.schema}
    # pre-ping guards against server restarts; a SQLite file has none, and the ping costs a thread hop.
    engine = create_async_engine(url, connect_args=connect_args, pool_pre_ping=not url.startswith("sqlite"))
    if url.startswith("sqlite"):
        _sqlite_write_safe(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, service)
    trace_statements(engine, service)  # after the migrations: a span per statement a handler runs
    return engine


def _sqlite_write_safe(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue on the lock
    (with the busy timeout) instead of failing when two upgrade a read lock."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Read-only sessions (read_sessions) need no write lock and must not queue behind writers.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def read_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for queries that never write: on SQLite they skip the write lock."""
    return async_sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def _upgrade(connection: Connection, service: str) -> None:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(MIGRATIONS_ENV))
    config.set_main_option("version_locations", str(Path(__file__).parent / service / "migrations"))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = f"alembic_version_{service}"
    command.upgrade(config, "head")
