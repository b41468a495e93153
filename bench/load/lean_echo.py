"""Opus passthrough on our own endpoint (gateway/rtc), speaking the same /ws protocol.

Each caller's Opus packets come in over ICE + DTLS-SRTP and go straight back out, never
decoded or re-encoded: per 20 ms one packet in and one out, the packet work a passthrough
call does (inbound to an STT provider that takes Opus, TTS Opus out).

    python -m bench.load.lean_echo --port 8091
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed


async def echo(endpoint: AudioEndpoint) -> None:
    await endpoint.start()
    try:
        while True:
            packet = await endpoint.recv()
            await endpoint.send(packet.payload)
    except (EndpointClosed, ConnectionError):
        pass


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    endpoint = AudioEndpoint()
    task: asyncio.Task[None] | None = None
    try:
        async for msg in ws:
            data = msg.json()
            if data["type"] == "offer":
                await ws.send_json({"type": "answer", "sdp": await endpoint.answer(data["sdp"])})
                task = asyncio.create_task(echo(endpoint))
            elif data["type"] == "bye":
                break
    finally:
        await endpoint.close()
        if task is not None:
            task.cancel()
    return ws


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))
    web.run_app(app, host="127.0.0.1", port=p.parse_args().port, print=None)


if __name__ == "__main__":
    main()
