"""The console's routes on the call port: the page (`/console`), its JSON (`/console/api/...`) and
its live stream (`/console/live`), all behind an ops token (`voicepod token --audience ops`, or the
console URL `voicepod up` prints) given as `?token=` or a Bearer header; none in dev mode. The page's
own files are plain static files (gateway/static/console/, no build step)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from aiohttp import web
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from bus.ops_client import NOT_FOUND, OpsError
from gateway import auth
from gateway.console import live
from gateway.console.past_calls import call_detail
from gateway.signaling import request_token
from gateway.state import STATE_KEY, GatewayState

PAGE = Path(__file__).resolve().parents[1] / "static" / "console" / "index.html"


def _refusal(request: web.Request, state: GatewayState) -> web.Response | None:
    """None when the request carries a valid ops token (or the gateway is in dev mode)."""
    if state.settings.dev_mode:
        return None
    try:
        auth.verify(state.settings.auth_secret, request_token(request) or "", audience=auth.OPS_AUDIENCE,
                    max_lifetime=state.settings.max_token_seconds)  # fmt: skip
    except auth.TokenError as exc:
        return web.json_response({"error": "unauthorized", "reason": exc.reason, "message": str(exc)}, status=401)
    return None


async def page(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    return _refusal(request, state) or web.FileResponse(PAGE, headers={"Cache-Control": "no-store"})


async def stream(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    return _refusal(request, state) or await live.stream(request, state)


async def calls(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return _refusal(request, state) or web.json_response(await live.recent(state))


async def call(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    refused = _refusal(request, state)
    if refused is not None:
        return refused
    try:
        return web.json_response(await call_detail(live.services_of(state), request.match_info["call_id"]))
    except OpsError as exc:
        return web.json_response({"error": exc.message}, status=404 if exc.exit_code == NOT_FOUND else 503)


async def services(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return _refusal(request, state) or web.json_response(await live.services(state))


async def evals(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return _refusal(request, state) or web.json_response(await live.evals(state))


LIVE_ANSWERS = web.AppKey("console_live_answers", Subscription)


async def _answer_live(app: web.Application) -> None:
    app[LIVE_ANSWERS] = await live.answer_live(app[STATE_KEY])


async def _stop_answering(app: web.Application) -> None:
    if LIVE_ANSWERS in app:
        with contextlib.suppress(NatsError):
            await app[LIVE_ANSWERS].unsubscribe()


def add_console_routes(app: web.Application) -> None:
    app.on_startup.append(_answer_live)
    app.on_cleanup.append(_stop_answering)
    app.router.add_get("/console", page)
    app.router.add_get("/console/live", stream)
    app.router.add_get("/console/api/calls", calls)
    app.router.add_get("/console/api/calls/{call_id}", call)
    app.router.add_get("/console/api/services", services)
    app.router.add_get("/console/api/evals", evals)
