"""PostgreSQL for tests: DATABASE_URL, else a local server on 127.0.0.1:5432 if one answers.

Never started by the tests; when none is reachable the PostgreSQL variants skip
(and say why). Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

LOCAL_CANDIDATES = ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _reachable() -> str | None:
    candidates = [os.environ["DATABASE_URL"]] if os.environ.get("DATABASE_URL") else list(LOCAL_CANDIDATES)
    for url in candidates:
        try:
            conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            continue
        await conn.close()
        return url
    return None


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[tuple[str, str]]:
    url = await _reachable()
    if url is None:
        pytest.skip("no PostgreSQL reachable (set DATABASE_URL to run the PostgreSQL variants)")
    schema = f"voicepod_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield url, schema
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


# Tests above the stores (the dialog, the engines, a call's tools) run on SQLite only: the stores
# themselves are tested on both databases (tests/integration/services), and one whole booking call
# keeps the stack's PostgreSQL path (tests/integration/agent/test_dialog.py).
ONE_STORE = pytest.mark.parametrize("store_env", ["sqlite"], indirect=True)
