"""The baseline: a minimal stock aiortc echo server speaking the same /ws protocol.

Every setting is aiortc's default: the caller's audio is decoded, relayed and
re-encoded back, as the aiortc examples do.

    python -m bench.load.stock_echo --port 8090
"""

from __future__ import annotations

import argparse

from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from bench.load import CALLER_ADDRESSES
from caller.ice import gather_on

relay = MediaRelay()
peers: set[RTCPeerConnection] = set()


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    pc = RTCPeerConnection()
    peers.add(pc)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        pc.addTrack(relay.subscribe(track))

    try:
        async for msg in ws:
            data = msg.json()
            if data["type"] == "offer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="offer"))
                await gather_on(pc, CALLER_ADDRESSES)
                await pc.setLocalDescription(await pc.createAnswer())
                await ws.send_json({"type": "answer", "sdp": pc.localDescription.sdp})
            elif data["type"] == "bye":
                break
    finally:
        await pc.close()
        peers.discard(pc)
    return ws


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=p.parse_args().port, print=None)


if __name__ == "__main__":
    main()
