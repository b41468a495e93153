"""Our own endpoint (gateway/rtc) in the capacity harness, speaking the same /ws protocol.

Passthrough (default): each caller's Opus packets come in over ICE + DTLS-SRTP and go
straight back out, never decoded or re-encoded: per 20 ms one packet in and one out, the
packet work of a passthrough call (inbound to an STT provider that takes Opus, TTS Opus out).

--transcode: what a listening call of the offline stack does per packet, on this endpoint:
Opus decoded inline (mono), downsampled to 16 kHz, Silero VAD, endpointing, and a packet of
our Opus stream back (the agent silent: the cached silence packet). The gateway's own media
stages, without aiortc's transport.

    python -m bench.load.lean_echo --port 8091 [--transcode]
"""

from __future__ import annotations

import argparse
import asyncio

import av
from aiohttp import web

from gateway.media.opus_out import OpusOut
from gateway.media.resample import Downsampler
from gateway.media.vad import VadStream
from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed
from gateway.rtc.ice_options import LOOPBACK
from gateway.turns import TurnDetector, TurnSettings

TRANSCODE = web.AppKey("transcode", bool)


async def echo(endpoint: AudioEndpoint, transcode: bool) -> None:
    await endpoint.start()
    try:
        if transcode:
            await listen(endpoint)
        while True:
            packet = await endpoint.recv()
            if packet is not None:  # a lost packet leaves a gap the caller's decoder conceals
                await endpoint.send(packet.payload)
    except (EndpointClosed, ConnectionError):
        pass


async def listen(endpoint: AudioEndpoint) -> None:
    decoder = av.CodecContext.create("libopus", "r")
    decoder.layout, decoder.format = "mono", "s16"
    downsample, vad, turns, opus = Downsampler(), VadStream(), TurnDetector(TurnSettings()), OpusOut()
    while True:
        packet = await endpoint.recv()
        if packet is None:
            continue  # lost: nothing to decode (the gateway will conceal it)
        for frame in decoder.decode(av.Packet(packet.payload)):
            for pcm in downsample(frame):
                turns.feed(pcm, vad.push(pcm), agent_speaking=False)
        await endpoint.send(bytes(opus.packet(None)))


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    transcode: bool = request.app[TRANSCODE]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    endpoint = AudioEndpoint(ice=LOOPBACK)
    task: asyncio.Task[None] | None = None
    try:
        async for msg in ws:
            data = msg.json()
            if data["type"] == "offer":
                await ws.send_json({"type": "answer", "sdp": await endpoint.answer(data["sdp"])})
                task = asyncio.create_task(echo(endpoint, transcode))
            elif data["type"] == "bye":
                break
    finally:
        await endpoint.close()
        if task is not None:
            task.cancel()
    return ws


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--transcode", action="store_true")
    args = p.parse_args()
    app = web.Application()
    app[TRANSCODE] = args.transcode
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
