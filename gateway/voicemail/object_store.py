"""Where recordings are kept: a small object-store interface (put, get) and its default, a local
directory. A bucket service (S3 and the like) would be another implementation of the same two calls."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store `data` durably under `key` (replacing what was there); returns once it is on disk."""
        ...

    async def get(self, key: str) -> bytes:
        """The object; FileNotFoundError when there is none."""
        ...


class LocalDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    def _path(self, key: str) -> Path:
        # Keys are ours (call ids), but a key never leaves the root whatever it holds.
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not an object key: {key!r}")
        return self.root / key

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target, synced, then renamed: a crash never leaves half a recording.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
