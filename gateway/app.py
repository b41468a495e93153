"""The gateway's aiohttp applications: the public one callers reach (the page, /ws, /calls, health,
/telephony/*)
and the ops one for the cluster (/metrics, health) on a port of its own; the state they share."""

from __future__ import annotations

import time
from pathlib import Path

from aiohttp import web

from bus.ops_http import healthz_handler, metrics_handler, readyz_handler
from gateway import auth
from gateway.console.routes import add_console_routes
from gateway.link.phone.outbound_routes import add_outbound_routes
from gateway.link.phone.socket_routes import add_socket_routes
from gateway.link.phone.twilio_routes import add_twilio_routes
from gateway.shadow.routes import add_desk_routes
from gateway.signaling import request_token, websocket
from gateway.state import STATE_KEY, GatewayState

STATIC_DIR = Path(__file__).parent / "static"
OPS_AUDIENCE = auth.OPS_AUDIENCE  # minted by `voicepod token --audience ops`, `voicepod up`


async def index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def list_calls(request: web.Request) -> web.Response:
    """Live calls with their media figures (shadow mode's desk legs too). Needs a token minted for the
    ops audience."""
    state = request.app[STATE_KEY]
    if not state.settings.dev_mode:
        token = request_token(request)
        try:
            auth.verify(state.settings.auth_secret, token or "", audience=OPS_AUDIENCE,
                        max_lifetime=state.settings.max_token_seconds)  # fmt: skip
        except auth.TokenError as exc:
            return web.json_response({"error": "unauthorized", "reason": exc.reason, "message": str(exc)}, status=401)
    return web.json_response({"calls": [c.summary() for c in state.calls.live()], "max_calls": state.calls.max_calls})


async def ice_servers(request: web.Request) -> web.Response:
    """The STUN/TURN servers for the caller's RTCPeerConnection (the page, `voicepod call`): the
    gateway's own, with a TURN credential minted for the token's subject. Needs the /ws token (or
    an operator's: the desk's people)."""
    state = request.app[STATE_KEY]
    who = "caller"
    if not state.settings.dev_mode:
        token = request_token(request) or ""
        try:
            who = auth.verify(state.settings.auth_secret, token, max_lifetime=state.settings.max_token_seconds).sub
        except auth.TokenError as exc:
            try:  # a person at the desk (shadow mode) holds an operator's token, and needs the servers too
                who = auth.verify(state.settings.auth_secret, token, audience=OPS_AUDIENCE,
                                  max_lifetime=state.settings.max_token_seconds).sub  # fmt: skip
            except auth.TokenError:
                return web.json_response({"error": "unauthorized", "reason": exc.reason, "message": str(exc)},
                                         status=401)  # fmt: skip
    servers = state.settings.servers().for_browser(time.time(), who)
    return web.json_response({"iceServers": servers}, headers={"Cache-Control": "no-store"})  # a credential


def build_app(state: GatewayState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[STATE_KEY] = state
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/calls", list_calls)
    app.router.add_get("/ice-servers", ice_servers)
    add_twilio_routes(app)  # phone calls: Twilio's voice webhook and its media stream socket
    add_socket_routes(app)  # phone calls from any bridge: the plain audio socket
    add_outbound_routes(app)  # Twilio's callbacks about the calls we placed: who answered, how it ended
    add_desk_routes(app)  # shadow mode: the desk page, its people's socket and buttons
    add_console_routes(app)  # the operators' console (ops token)
    # Load balancers probe the call port; /metrics is on the ops port only (build_ops_app).
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/readyz", readyz_handler(state.readiness))
    return app


def build_ops_app(state: GatewayState) -> web.Application:
    """VOICEPOD_OPS_HOST:VOICEPOD_OPS_PORT, for Prometheus and the cluster's probes, not for callers."""
    app = web.Application(client_max_size=1024)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/readyz", readyz_handler(state.readiness))
    return app
