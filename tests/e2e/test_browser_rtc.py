"""Our own WebRTC audio endpoint (gateway/rtc) with a real browser: Debian's Chromium sends its
fake microphone (real speech from a WAV) and hears it come back, the Opus packets passed
through untouched: ICE, DTLS-SRTP and RTP interoperate with Chrome's WebRTC stack."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed
from gateway.rtc.ice_options import LOOPBACK
from tests.e2e.test_browser import BROWSER_ICE_FLAGS, chromium
from tests.local_http import serve_app
from tests.speech import say

pytestmark = pytest.mark.slow

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc echo</title><script>
window.run = async () => {
  const pc = new RTCPeerConnection();
  window.pc = pc;
  const mic = await navigator.mediaDevices.getUserMedia({audio: true});
  mic.getTracks().forEach(t => pc.addTrack(t, mic));
  pc.ontrack = e => { const a = new Audio(); a.srcObject = e.streams[0] || new MediaStream([e.track]); a.play(); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => pc.iceGatheringState === 'complete' ? r() :
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
  const resp = await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp});
  if (!resp.ok) throw new Error(await resp.text());
  await pc.setRemoteDescription({type: 'answer', sdp: await resp.text()});
};
window.inbound = async () => {
  const stats = await window.pc.getStats();
  const s = [...stats.values()].find(s => s.type === 'inbound-rtp' && s.kind === 'audio');
  return s ? {packets: s.packetsReceived, energy: s.totalAudioEnergy || 0, lost: s.packetsLost} : null;
};
</script>"""


async def test_chromium_talks_to_our_endpoint_and_hears_its_own_packets_back(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    wav = say("Hello, I would like to see a house in Denver with three bedrooms.", tmp_path / "mic.wav")
    endpoints: list[AudioEndpoint] = []
    tasks: list[asyncio.Task[None]] = []

    async def echo(endpoint: AudioEndpoint) -> None:
        await endpoint.start()
        try:
            while True:
                packet = await endpoint.recv()
                if packet is not None:
                    await endpoint.send(packet.payload)
        except EndpointClosed:
            return

    async def offer(request: web.Request) -> web.Response:
        endpoint = AudioEndpoint(ice=LOOPBACK)  # gathers on 127.0.0.1 only; see BROWSER_ICE_FLAGS
        endpoints.append(endpoint)
        answer = await endpoint.answer(await request.text())
        tasks.append(asyncio.create_task(echo(endpoint)))
        return web.Response(text=answer)

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/offer", offer)
    args = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required", *BROWSER_ICE_FLAGS,
    ]  # fmt: skip
    try:
        async with serve_app(app) as url, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium(), args=args)
            try:
                tab = await browser.new_page()
                await tab.goto(f"{url}/")
                await tab.evaluate("window.run()")
                # Chrome decodes what came back (its own speech) and measures its energy. Polled from
                # here: the stats are behind a promise, which wait_for_function would take as truthy.
                async with asyncio.timeout(30):
                    while True:
                        heard = await tab.evaluate("window.inbound()")
                        if heard and heard["packets"] >= 150 and heard["energy"] > 0.001:
                            break
                        await asyncio.sleep(0.2)
            finally:
                await browser.close()
    finally:
        for endpoint in endpoints:
            await endpoint.close()
        await asyncio.gather(*tasks, return_exceptions=True)
    (endpoint,) = endpoints
    assert endpoint.packets_in >= 150 and endpoint.packets_out >= 150
    assert sum(endpoint.dropped.values()) == 0, endpoint.dropped
    assert heard["packets"] >= 150 and heard["lost"] == 0, heard
