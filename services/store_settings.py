"""Where a service's store lives, read from the environment (services/storage.py opens it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoreSettings:
    database_url: str | None = None  # DATABASE_URL
    state_dir: Path = Path(".voicepod")  # VOICEPOD_STATE_DIR
    # PostgreSQL schema (search_path); empty: the server's default. Tests use one per test.
    schema: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StoreSettings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            state_dir=Path(env.get("VOICEPOD_STATE_DIR") or ".voicepod"),
            schema=env.get("VOICEPOD_DB_SCHEMA", ""),
        )

    def url_for(self, service: str) -> str:
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{(self.state_dir / f'{service}.db').resolve()}"
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        return url
