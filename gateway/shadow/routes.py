"""The desk's routes, for the people who answer in shadow mode (operators' tokens, like /calls):

  GET  /desk          the page (gateway/static/desk/)
  GET  /desk/ws       a person's signalling socket: the /ws protocol; the offer puts them at the desk
  GET  /desk/queue    callers waiting, free desks, calls in progress (JSON)
  POST /desk/act      a button: {"call_id", "tool", "args"} runs the agent's real tool for the person

Without shadow mode (VOICEPOD_SHADOW off) they answer 404 `shadow_off`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from gateway import auth
from gateway.agent.tools import ToolError
from gateway.shadow.desk import Desk
from gateway.signaling import request_token, serve_socket
from gateway.state import STATE_KEY

PAGE = Path(__file__).parent.parent / "static" / "desk" / "index.html"
STATUS = {"invalid_arguments": 400, "rejected": 409, "not_found": 404, "timeout": 504, "unavailable": 503}


def _error(status: int, error: str, message: str, **more: Any) -> web.Response:
    return web.json_response({"error": error, "message": message, **more}, status=status)


def _desk(request: web.Request) -> Desk | web.Response:
    """The desk, once the operator's token is checked; else the refusal to send."""
    state = request.app[STATE_KEY]
    if not state.settings.dev_mode:
        try:
            auth.verify(state.settings.auth_secret, request_token(request) or "", audience=auth.OPS_AUDIENCE,
                        max_lifetime=state.settings.max_token_seconds)  # fmt: skip
        except auth.TokenError as exc:
            return _error(401, "unauthorized", str(exc), reason=exc.reason)
    if state.desk is None:
        return _error(404, "shadow_off", "shadow mode is off: start the gateway with VOICEPOD_SHADOW=on")
    return state.desk


async def page(request: web.Request) -> web.StreamResponse:
    desk = _desk(request)
    return desk if isinstance(desk, web.Response) else web.FileResponse(PAGE, headers={"Cache-Control": "no-store"})


async def queue(request: web.Request) -> web.Response:
    desk = _desk(request)
    return desk if isinstance(desk, web.Response) else web.json_response(desk.summary())


async def socket(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if state.desk is None:
        return _error(404, "shadow_off", "shadow mode is off: start the gateway with VOICEPOD_SHADOW=on")
    return await serve_socket(request, state, auth.OPS_AUDIENCE, state.desk.open_human)


async def act(request: web.Request) -> web.Response:
    desk = _desk(request)
    if isinstance(desk, web.Response):
        return desk
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "bad_json", "the body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("tool"), str) or not isinstance(body.get("args"), dict):
        return _error(400, "bad_message", 'send {"call_id": str, "tool": str, "args": {...}}')
    bridge = desk.bridge(str(body.get("call_id", "")))
    if bridge is None or bridge.ended is not None:
        return _error(404, "no_call", "no shadow call in progress with that call_id")
    try:
        result = await bridge.act(body["tool"], body["args"])
    except ToolError as exc:
        return _error(STATUS.get(exc.kind, 502), exc.kind, exc.message, field=exc.field, reason=exc.reason)
    return web.json_response({"result": result})


def add_desk_routes(app: web.Application) -> None:
    app.router.add_get("/desk", page)
    app.router.add_get("/desk/ws", socket)
    app.router.add_get("/desk/queue", queue)
    app.router.add_post("/desk/act", act)
