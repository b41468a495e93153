"""Alembic environment shared by every service; storage.open_database passes the
connection and the service's own version table."""

from __future__ import annotations

import zlib

from alembic import context
from sqlalchemy import text

config = context.config
connection = config.attributes["connection"]
version_table = config.attributes["version_table"]

if connection.dialect.name == "postgresql":
    # Replicas starting together: one migrates, the others wait, then find nothing to do.
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(version_table.encode())})

context.configure(connection=connection, version_table=version_table, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
