"""A real browser: Debian's Chromium with a fake microphone playing a WAV opens the demo
page, places a call, and hears the agent. Driven by Playwright (no Playwright browser
download: executable_path is the system Chromium)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from gateway import auth
from gateway.settings import MEDIA_STACKS
from tests.integration.gateway_helpers import SECRET, gateway
from tests.speech import say
from tests.system_tools import require_tool

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
# Chromium gathers on every interface but loopback and has no switch to gather on loopback only. The
# test gateway gathers on 127.0.0.1 only (VOICEPOD_ICE_ADDRESSES) and takes loopback candidates, and
# this switch lets Chromium offer 127.0.0.1 too; its other host candidates name this machine's own
# addresses, which the kernel delivers over lo: no packet of the call goes out on a wire.
BROWSER_ICE_FLAGS = ("--allow-loopback-in-peer-connection",)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium() -> str:
    require_tool("chromium", "chromium")
    return CHROMIUM


def page_args(wav: Path, *, once: bool = True, loopback: bool = True) -> list[str]:
    """Headless Chromium for the demo page, its microphone playing `wav` (once, or looping), and
    with `loopback` offering 127.0.0.1 too (BROWSER_ICE_FLAGS)."""
    return [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}{'%noloop' if once else ''}",
        "--autoplay-policy=no-user-gesture-required",
        *(BROWSER_ICE_FLAGS if loopback else ()),
    ]  # fmt: skip


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_the_demo_page_places_a_call_and_hears_the_agent(stack: str, nc: NATS, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    wav = say("Hello, I would like to see a house in Denver.", tmp_path / "mic.wav", pad_seconds=4.0)
    args = page_args(wav)
    async with gateway(nc, stt="whisper", media_stack=stack) as gw, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=args)
        try:
            page = await browser.new_page()
            await page.goto(f"{gw.http_url}/?token={auth.mint(SECRET, ttl_seconds=120)}")
            await page.click("#talk")
            await page.wait_for_function("window.voicepod.events.some(e => e.type === 'agent.text')", timeout=30_000)
            heard = await page.text_content("#transcript li.caller")
            # The agent's reply reached the browser as audio (inbound RTP with energy). Polled from here:
            # the stats are behind a promise, which wait_for_function would take as truthy at once.
            energy = """async () => {
                const stats = await window.voicepod.pc.getStats();
                return [...stats.values()].some(s => s.type === 'inbound-rtp' && s.kind === 'audio'
                                                   && (s.totalAudioEnergy || 0) > 0.01);
            }"""
            async with asyncio.timeout(30):
                while not await page.evaluate(energy):
                    await asyncio.sleep(0.2)
            # The page's box: a typed turn (what the agent can't hear) comes back as the caller's words.
            await page.fill("#typed", "512 555 0134")
            await page.click("#send")
            await page.wait_for_function(
                "window.voicepod.events.some(e => e.type === 'transcript.final' && e.text === '512 555 0134')",
                timeout=10_000,
            )
            typed_box_cleared = await page.input_value("#typed") == ""
            kinds = await page.evaluate("window.voicepod.events.map(e => e.type)")
            status = await page.text_content("#status")
            lines = await page.locator("#transcript li.agent").count()
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"demo-page-call-{stack}.png"), full_page=True)
            await page.click("#hangup")
            ended = await gw.state.calls.wait_empty(10)
        finally:
            await browser.close()
    assert {"call.started", "speech.started", "turn.ended", "agent.text"} <= set(kinds), kinds
    assert status == "live" and lines >= 1 and ended and typed_box_cleared
    # What the caller said shows up as text (offline whisper tiny.en on espeak's voice).
    assert heard and "denver" in heard.lower(), heard
