"""The demo page restarting ICE with a real browser (Debian's Chromium) on the lean stack: its
re-offer on the same /ws socket is answered with the same call id, Chromium's new ICE credentials
connect, and the agent's audio keeps arriving. (Chromium cannot change networks here: the page's
own restart, the one `iceconnectionstatechange` → failed runs, is called directly.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from gateway import auth
from tests.e2e.test_browser import chromium, page_args
from tests.integration.gateway_helpers import SECRET, gateway
from tests.speech import say

pytestmark = [pytest.mark.long, pytest.mark.timeout(90)]  # ~10 s with Chromium

INBOUND = """async () => {
  const stats = await window.voicepod.pc.getStats();
  const s = [...stats.values()].find(s => s.type === 'inbound-rtp' && s.kind === 'audio');
  const pair = [...stats.values()].find(s => s.type === 'transport');
  return {packets: s ? s.packetsReceived : 0, ufrag: pair ? pair.iceLocalUsernameFragment : null};
}"""


async def test_the_page_restarts_ice_on_its_socket_and_keeps_its_call(nc: NATS, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    wav = say("Hello, I would like to see a house in Denver.", tmp_path / "mic.wav", pad_seconds=8.0)
    args = page_args(wav, once=False)
    async with gateway(nc, media_stack="lean", agent="echo") as gw, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=args)
        try:
            page = await browser.new_page()
            await page.goto(f"{gw.http_url}/?token={auth.mint(SECRET, ttl_seconds=120)}")
            await page.click("#talk")
            await page.wait_for_function("window.voicepod.pc && window.voicepod.pc.iceConnectionState === 'connected'",
                                         timeout=20_000)  # fmt: skip
            (call,) = gw.state.calls.all()
            endpoint = call.link._endpoint  # type: ignore[attr-defined]
            before = await page.evaluate(INBOUND)
            heard_before = endpoint.packets_in
            await page.evaluate("window.voicepod.restartIce()")
            async with asyncio.timeout(15):
                while endpoint.restarts < 1:
                    await asyncio.sleep(0.05)  # the switch has no event to await from outside
            after_switch = endpoint.packets_in
            # Audio both ways on the new path: the browser's microphone reaches the call, ours the browser.
            async with asyncio.timeout(10):
                while endpoint.packets_in < after_switch + 50:
                    await asyncio.sleep(0.05)
            after = await page.evaluate(INBOUND)
            async with asyncio.timeout(10):
                while (now := await page.evaluate(INBOUND))["packets"] < after["packets"] + 50:
                    await asyncio.sleep(0.05)
            assert after_switch > heard_before
            assert before["ufrag"] and now["ufrag"] != before["ufrag"]  # the browser's ICE credentials changed
            assert gw.state.calls.all() == [call] and call.ended is None and endpoint.restarts_failed == 0
            assert call.connection_state == "connected"
        finally:
            await browser.close()
