"""The demo page in Chromium through coturn: `?relay=1` makes the page gather relay candidates only,
with the TURN server and credential it fetched from GET /ice-servers; the gateway (default stack)
is relay only too, so the call's one path is relay to relay through the TURN server."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from gateway import auth
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.ice_servers import TurnCredentials
from tests.coturn import coturn
from tests.e2e.test_browser import chromium, page_args
from tests.integration.gateway_helpers import SECRET, gateway
from tests.speech import say

pytestmark = pytest.mark.long  # a browser and a TURN server: ~15 s


async def test_the_page_calls_through_coturn_with_the_credential_the_gateway_minted(nc: NATS, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    wav = say("Hello, I would like to see a house in Denver.", tmp_path / "mic.wav", pad_seconds=4.0)
    args = page_args(wav, loopback=False)  # relay only: no host candidate of the browser's is needed
    selected = """async () => {
        const stats = await window.voicepod.pc.getStats();
        const pair = [...stats.values()].find(s => s.type === 'candidate-pair' && s.nominated
                                                   && s.state === 'succeeded');
        if (!pair) return null;
        return [stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType];
    }"""  # fmt: skip
    with coturn(tmp_path) as turn:
        settings = {"ice_servers": (turn.url,), "turn_credentials": TurnCredentials(secret=turn.secret),
                    "ice": dataclasses.replace(LOOPBACK, relay_only=True)}  # fmt: skip
        async with gateway(nc, **settings) as gw, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium(), args=args)
            try:
                page = await browser.new_page()
                await page.goto(f"{gw.http_url}/?relay=1&token={auth.mint(SECRET, ttl_seconds=120)}")
                await page.click("#talk")
                await page.wait_for_function("window.voicepod.events.some(e => e.type === 'call.started')",
                                             timeout=20_000)  # fmt: skip
                async with asyncio.timeout(10):
                    while (types := await page.evaluate(selected)) is None:
                        await asyncio.sleep(0.2)
                (call,) = gw.state.calls.all()
                pair = call.link._endpoint._ice._nominated[1]  # type: ignore[attr-defined]
                await page.click("#hangup")
                assert await gw.state.calls.wait_empty(10)
            finally:
                await browser.close()
    assert types == ["relay", "relay"]
    assert (pair.local_candidate.type, pair.remote_candidate.type) == ("relay", "relay")
