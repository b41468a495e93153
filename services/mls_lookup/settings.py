"""The mls_lookup service's settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from services.mls_lookup.sample import SAMPLE_FILE


def mls_feed(env: Mapping[str, str] | None = None) -> Path:
    """VOICEPOD_MLS_FEED: the feed an empty store is filled from; unset: the shipped sample data."""
    env = os.environ if env is None else env
    return Path(env.get("VOICEPOD_MLS_FEED") or SAMPLE_FILE)
