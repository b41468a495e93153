"""The desk page in a real browser (shadow mode): Debian's Chromium with a fake microphone takes a
caller from the queue; a headless scripted caller (aiortc, 127.0.0.1) asks for a home; the page shows
the agent's recommendation for that turn: its reply, the search it ran and what it understood.

Whisper hears the caller's line before the agent can recommend: `make test-long`."""

from __future__ import annotations

from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from caller.booking import BOOKING
from caller.client import dial
from caller.script import ScriptedMicrophone, voice_lines
from gateway import auth
from tests.e2e.test_browser import ARTIFACTS, BROWSER_ICE_FLAGS, chromium
from tests.integration.agent.test_dialog import services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET
from tests.integration.shadow.shadow_helpers import Watch, shadow_gateway
from tests.speech import say

pytestmark = pytest.mark.long


@pytest.mark.timeout(180)
async def test_the_desk_page_shows_the_agents_recommendation(nc: NATS, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    (line,) = await voice_lines([BOOKING[0]])  # "A five bedroom townhouse in Denver, under nine hundred K."
    assert line.pcm is not None
    wav = say("Hello, how can I help you?", tmp_path / "desk.wav", pad_seconds=2.0)
    args = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required",
        *BROWSER_ICE_FLAGS,
    ]  # fmt: skip
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-browser", ttl_seconds=120)
    caller, mic = Watch(), ScriptedMicrophone()
    async with (
        shadow_gateway(nc, stt="whisper") as gw,
        services(nc, "mls_lookup", "calendar"),
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=chromium(), args=args)
        try:
            page = await browser.new_page()
            await page.goto(f"{gw.http_url}/desk?token={ops}")
            await page.click("#take")
            await page.wait_for_function("window.voicepod.events.some(e => e.type === 'desk.waiting')", timeout=30_000)
            async with dial(gw.ws_url, mic, token=auth.mint(SECRET, ttl_seconds=120), on_event=caller,
                            ice_addresses=CALLER_ICE):  # fmt: skip
                await page.wait_for_function(
                    "window.voicepod.events.some(e => e.type === 'shadow.recommendation' && e.turn === 0)",
                    timeout=30_000)  # fmt: skip
                await mic.say(line.pcm)
                await page.wait_for_function(
                    "window.voicepod.events.some(e => e.type === 'shadow.recommendation' && e.turn === 1)",
                    timeout=60_000)  # fmt: skip
                reply = await page.text_content("#reply")
                actions = await page.text_content("#actions")
                understood = await page.text_content("#entities")
                heard = await page.text_content("#transcript")
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "desk-page-recommendation.png"), full_page=True)
        finally:
            await browser.close()
    assert reply and reply != "–"
    assert actions and "looked up search_listings" in actions and "found" in actions
    assert understood and "Denver" in understood
    assert heard and "caller:" in heard and "denver" in heard.lower()
