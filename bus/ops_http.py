"""The operations HTTP endpoints every process serves: /metrics, /healthz, /readyz.

Services run these on their own small server; the gateway serves the same handlers on its
ops port (gateway/app.py build_ops_app), and /healthz and /readyz on its call port too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from bus.settings import metrics_multiprocess


async def metrics_handler(_: web.Request) -> web.Response:
    if metrics_multiprocess():
        # One of several worker processes (`voicepod gateway --workers N`): whichever worker the
        # scrape reaches answers for all of them, from the files prometheus_client shares between them.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz_handler(_: web.Request) -> web.Response:
    # Alive: the event loop answers. Readiness is the separate question below.
    return web.json_response({"status": "ok"})


def readyz_handler(is_ready: Callable[[], dict[str, bool]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """/readyz: 200 when every named check passes, 503 (with the failing ones) otherwise."""

    async def handler(_: web.Request) -> web.Response:
        checks = is_ready()
        ok = all(checks.values())
        return web.json_response({"ready": ok, "checks": checks}, status=200 if ok else 503)

    return handler


class OpsServer:
    """A tiny aiohttp server for a process that has no other HTTP surface."""

    def __init__(self, host: str, port: int, is_ready: Callable[[], dict[str, bool]]) -> None:
        app = web.Application()
        app.router.add_get("/metrics", metrics_handler)
        app.router.add_get("/healthz", healthz_handler)
        app.router.add_get("/readyz", readyz_handler(is_ready))
        self._runner = web.AppRunner(app, access_log=None)
        self._host = host
        self._port = port

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()
