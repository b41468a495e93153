"""The operators' console in a real Chromium: a live call's quality and turn latency pushed as it
goes (the call held by another gateway process), a past call read through the real transcript and
audit services (transcript, tools, cost, the audit chain verified; the live call, once past, with
its reply's latency split), the services' $SRV figures and the eval pass-rate history; screenshots
saved as test artifacts (test-artifacts/console-*.png)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from nats.aio.client import Client as NATS

from caller.client import dial
from caller.wav import WavMicrophone, read_wav
from gateway import auth
from gateway.console.settings import ConsoleSettings
from gateway.settings import GatewaySettings
from tests.e2e.test_browser import ARTIFACTS, chromium
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway
from tests.integration.test_ops_commands import record_a_call, services, stored
from tests.speech import say

pytestmark = pytest.mark.slow
PAST_CALL = "call-console-1"


def write_reports(directory: Path) -> None:
    """Three scenario runs (their pass rates rising) and one persona run, as `voicepod eval --report`
    writes them, and a file that is not a report."""
    directory.mkdir()
    for day, rate in ((1, 0.8), (2, 0.9), (3, 1.0)):
        report = {"agent": "real_estate", "mode": "text", "started_at": f"2026-12-0{day}T09:00:00+00:00",
                  "pass_rate": rate, "ok": rate >= 0.9, "counts": {"total": 10}, "scenarios": []}  # fmt: skip
        (directory / f"text-{day}.json").write_text(json.dumps(report))
    persona = {"agent": "real_estate", "mode": "audio", "totals": {"calls": 4, "goal_met_rate": 0.75}, "personas": []}
    (directory / "personas.json").write_text(json.dumps(persona))
    (directory / "notes.json").write_text("not json")


async def test_the_console_shows_live_and_past_calls_the_services_and_the_eval_history(
    nc: NATS, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    write_reports(tmp_path / "reports")
    speech = say("Hello, I am looking for a house.", tmp_path / "a.wav", pad_seconds=2.0)
    ops_token = auth.mint(SECRET, ttl_seconds=300, audience=auth.OPS_AUDIENCE, subject="operator")
    # Two gateway processes on one NATS, as `--workers 2` runs them: the console is opened on one,
    # the call is held by the other.
    console = ConsoleSettings(eval_reports_dir=tmp_path / "reports", push_seconds=0.3, workers=2)
    ARTIFACTS.mkdir(exist_ok=True)
    async with services(nc):
        await record_a_call(nc, PAST_CALL, "real_estate")
        await stored(nc, calls=1)
        async with gateway(nc, console=console) as gw, gateway(nc) as other, async_playwright() as pw:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{gw.http_url}/console") as resp:
                    no_token = resp.status
                ws_token = auth.mint(SECRET, ttl_seconds=60)  # a caller's token is not an operator's
                async with http.get(f"{gw.http_url}/console/api/calls?token={ws_token}") as resp:
                    callers_token = resp.status
            browser = await pw.chromium.launch(executable_path=chromium(), args=["--headless=new", "--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                await page.goto(f"{gw.http_url}/console?token={ops_token}")
                mic = WavMicrophone(read_wav(speech))
                async with dial(other.ws_url, mic, token=ws_token, ice_addresses=CALLER_ICE) as call:
                    # Pushed while the call goes on: two or more stats points and its turn's latency.
                    await page.wait_for_function(
                        """(id) => (window.voicepodConsole.live?.calls || []).some(c => c.call_id === id
                                   && c.history.quality.length >= 2 && c.history.turn_latency.length >= 1)""",
                        arg=call.result.call_id, timeout=30_000,
                    )  # fmt: skip
                    await page.wait_for_function(
                        """() => { const s = window.voicepodConsole;
                                   return s.recent?.calls.length >= 1 && s.services && s.evals; }""",
                        timeout=15_000,
                    )  # fmt: skip
                    live_rows = await page.locator("tr.live-call").count()
                    sparklines = await page.locator("tr.live-call polyline").count()
                    latency = await page.locator("tr.live-call td:last-child .value").text_content()
                    await page.screenshot(path=str(ARTIFACTS / "console-live.png"), full_page=True)
                    pushed = await page.evaluate("window.voicepodConsole")
                await page.click(f'tr.recent-call[data-call-id="{PAST_CALL}"]')
                await page.wait_for_function("document.querySelector('#detail-chain').textContent.length > 0")
                chain = await page.text_content("#detail-chain")
                timeline = await page.locator("#detail-timeline li").all_text_contents()
                summary = await page.text_content("#detail-summary")
                cost_rows = await page.locator("#detail-cost tbody tr").count()
                await page.screenshot(path=str(ARTIFACTS / "console-call.png"), full_page=True)
                # The call that was live, now past: its reply's latency split kept with its transcript.
                live_id = call.result.call_id
                await page.wait_for_function(
                    """(id) => (window.voicepodConsole.recent?.calls || []).some(c => c.call_id === id && c.ended)""",
                    arg=live_id, timeout=15_000,
                )  # fmt: skip
                await page.click(f'tr.recent-call[data-call-id="{live_id}"]')
                await page.wait_for_selector("#detail-timeline li.latency", timeout=10_000)
                latency_lines = await page.locator("#detail-timeline li.latency").all_text_contents()
                slowest = await page.text_content("#detail-summary")
                await page.screenshot(path=str(ARTIFACTS / "console-call-latency.png"), full_page=True)
            finally:
                await browser.close()

    assert (no_token, callers_token) == (401, 401)
    assert live_rows == 1 and sparklines >= 2 and latency and latency.endswith("ms")
    assert pushed["live"]["processes"] == 2 and pushed["live"]["max_calls"] == 2 * GatewaySettings().max_calls
    # The past call, through the transcript service; the services as $SRV.INFO/STATS report them.
    # (The live call is recorded by the gateway as it goes, so it may be listed too, in progress.)
    assert PAST_CALL in [c["call_id"] for c in pushed["recent"]["calls"]] and pushed["recent"]["error"] is None
    answering = {i["name"] for i in pushed["services"]["instances"]}
    assert {"transcript", "audit"} <= answering
    transcript = next(i for i in pushed["services"]["instances"] if i["name"] == "transcript")
    assert sum(e["requests"] for e in transcript["endpoints"]) >= 1  # the console's own list_calls
    # The eval history: one series per kind, agent and mode, in time order; the junk file skipped.
    series = {(s["kind"], s["mode"]): [r["pass_rate"] for r in s["runs"]] for s in pushed["evals"]["series"]}
    assert series == {("scenarios", "text"): [0.8, 0.9, 1.0], ("personas", "audio"): [0.75]}
    assert pushed["evals"]["skipped"] == ["notes.json"]
    # The detail: turns and the tool call on one timeline, the cost, the audit chain verified.
    assert chain and chain.startswith("audit chain verified")
    assert any("search_listings: ok" in line for line in timeline) and any("Austin" in line for line in timeline)
    assert summary and "caller_hangup" in summary and "$0.0001" in summary and cost_rows == 1
    # The past call's turn latency: its split by stage on the timeline, the slowest reply in the summary.
    assert latency_lines and latency_lines[0].startswith("latencyturn 1 answered in")  # "latency": the row's label
    assert "(slowest)" in latency_lines[0]
    assert slowest and "slowest reply: turn 1" in slowest
