"""A local HTTP server that answers like Twilio's Messages API (2010-04-01), for the sms tests."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.local_http import serve_app

SID, TOKEN = "AC" + "0" * 32, "secret-token"


@dataclass
class FakeTwilio:
    url: str = ""
    # What to answer to the next POSTs: (http status, Twilio error code or None); then 201.
    script: list[tuple[int, int | None]] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)
    accepted: dict[str, dict[str, str]] = field(default_factory=dict)
    final_status: str = "delivered"


def _authorised(request: web.Request) -> bool:
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    return request.headers.get("Authorization") == expected


@asynccontextmanager
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    state = FakeTwilio()

    async def create(request: web.Request) -> web.Response:
        if not _authorised(request) or request.match_info["sid"] != SID:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = dict(await request.post())
        state.posts.append({k: str(v) for k, v in form.items()})
        if state.script:
            status, code = state.script.pop(0)
            return web.json_response({"code": code, "message": "scripted failure", "status": status}, status=status)
        sid = f"SM{len(state.accepted):032d}"
        state.accepted[sid] = state.posts[-1]
        return web.json_response({"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"],
                                  "error_code": None, "error_message": None}, status=201)  # fmt: skip

    async def fetch(request: web.Request) -> web.Response:
        if not _authorised(request):
            return web.json_response({"code": 20003}, status=401)
        sid = request.match_info["msg"]
        if sid not in state.accepted:
            return web.json_response({"code": 20404, "status": 404}, status=404)
        return web.json_response({"sid": sid, "status": state.final_status, "error_code": None})

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create)
    app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{msg}.json", fetch)
    async with serve_app(app) as state.url:
        yield state
