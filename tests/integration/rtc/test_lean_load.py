"""The capacity harness's own parts on our endpoint: the lean callers (bench/load/lean_swarm.py)
against the lean passthrough server (bench/load/lean_echo.py), over the real /ws protocol."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from bench.load import lean_echo, lean_swarm
from tests.local_http import serve_app
from tests.speech import say

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("transcode", [False, True])
async def test_lean_callers_get_their_frames_back(tmp_path: Path, transcode: bool) -> None:
    wav = say("I am looking for a house in Austin with a pool.", tmp_path / "s.wav")
    app = web.Application()
    app[lean_echo.TRANSCODE] = transcode
    app.router.add_get("/ws", lean_echo.ws_handler)
    async with serve_app(app) as url:
        result = await lean_swarm.run(url.replace("http", "ws") + "/ws", calls=3, seconds=3, warmup=1, wav=wav)
        await asyncio.sleep(0.2)  # the server sees the byes
    assert result["connected"] == 3 and result["failures"] == []
    # The callers heard their packets come back for the whole measured time, and the lateness the
    # harness reports is a ratio of them. How many came on time is the benchmark's figure
    # (bench/capacity.py, bench/gateway_load.py): a loaded test machine stalls the loop now and then.
    assert result["expected_frames"] == 3 * 3 * 50 and result["received_ratio"] >= 0.8, result
    assert 0 <= result["late"] <= result["frames"] and result["late_ratio"] == result["late"] / result["frames"]
