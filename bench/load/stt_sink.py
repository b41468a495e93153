"""A Deepgram-live stand-in for the capacity harness: takes the gateway's STT sockets and
counts the audio, recognising nothing, so a call's cost of streaming to an STT is measured
without Deepgram (unreachable here) or a decoding fake eating the same cores.

Audio is counted in seconds: linear16 (`encoding` given) by its bytes, Ogg Opus by the
granule position of each page (one page per message, as the gateway sends them).
`GET /seconds` gives the total over all sockets so far.

    python -m bench.load.stt_sink --port 8092
"""

from __future__ import annotations

import argparse

from aiohttp import WSMsgType, web

SECONDS = web.AppKey("seconds", list[float])


async def listen(request: web.Request) -> web.WebSocketResponse:
    total = request.app[SECONDS]
    pcm = "encoding" in request.query
    rate = int(request.query.get("sample_rate", "16000"))
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    granule = 0
    async for msg in ws:
        if msg.type == WSMsgType.BINARY:
            data = msg.data
            if pcm:
                total[0] += len(data) / (2 * rate)
            elif data[:4] == b"OggS":
                now = int.from_bytes(data[6:14], "little", signed=True)
                total[0] += max(0, now - granule) / 48_000
                granule = max(granule, now)
        elif msg.type == WSMsgType.TEXT and '"CloseStream"' in msg.data:
            break
    return ws


async def seconds(request: web.Request) -> web.Response:
    return web.json_response({"seconds": request.app[SECONDS][0]})


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    app = web.Application()
    app[SECONDS] = [0.0]
    app.router.add_get("/v1/listen", listen)
    app.router.add_get("/seconds", seconds)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
