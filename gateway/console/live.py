"""The console's live view, pushed as server-sent events: the live calls with their recent figures
every push, and (every few pushes) the recent calls, the services' figures and the eval history.

One stream per open console; it ends when the console goes away, when the gateway drains, or after
MAX_STREAM_SECONDS (the browser's EventSource reconnects by itself)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from bus.discovery import gather, services_report
from bus.ops_client import OpsError, Services
from bus.subjects import CONSOLE_LIVE, SERVICE_NAMES
from gateway.console.eval_history import eval_history
from gateway.console.past_calls import recent_calls
from gateway.state import GatewayState

MAX_STREAM_SECONDS = 3600.0
SERVICES_EVERY = 5  # pushes between asking the services (recent calls, $SRV.INFO/STATS)
EVALS_EVERY = 30  # pushes between re-reading the eval reports


def live_calls(state: GatewayState) -> dict[str, Any]:
    calls = [{**call.summary(), "history": call.history.as_dict()} for call in state.calls.live()]
    return {"at": round(time.time(), 3), "calls": calls, "max_calls": state.calls.max_calls,
            "draining": state.draining}  # fmt: skip


async def live(state: GatewayState) -> dict[str, Any]:
    """The live calls of every gateway process on this NATS (the workers answer CONSOLE_LIVE), up to
    the expected number of processes; this process's own when none answers (NATS is down)."""
    console = state.settings.console
    try:
        answers = await gather(state.nc, CONSOLE_LIVE, lambda got: len(got) >= console.workers, console.live_seconds)
    except (NatsError, OSError):
        answers = []
    answers = answers or [live_calls(state)]
    return {"at": round(time.time(), 3), "calls": [c for a in answers for c in a.get("calls", [])],
            "max_calls": sum(a.get("max_calls", 0) for a in answers), "processes": len(answers),
            "draining": any(a.get("draining") for a in answers)}  # fmt: skip


async def answer_live(state: GatewayState) -> Subscription:
    """This process's live calls to any console that asks (its own included)."""

    async def reply(msg: Msg) -> None:
        await msg.respond(json.dumps(live_calls(state)).encode())

    return await state.nc.subscribe(CONSOLE_LIVE, cb=reply)


def services_of(state: GatewayState) -> Services:
    return Services(state.bus, state.settings.console.ask_seconds)


async def recent(state: GatewayState) -> dict[str, Any]:
    try:
        return {"calls": await recent_calls(services_of(state)), "error": None}
    except OpsError as exc:
        return {"calls": [], "error": exc.message}


async def services(state: GatewayState) -> dict[str, Any]:
    # The gateway answers as a micro service too (voicepod.phone.dial), so it is expected with the six.
    report = await services_report(state.nc, (*SERVICE_NAMES, "gateway"), state.settings.console.ask_seconds)
    return {"instances": report, "expected": [*SERVICE_NAMES, "gateway"]}


async def evals(state: GatewayState) -> dict[str, Any]:
    return await asyncio.to_thread(eval_history, state.settings.console.eval_reports_dir)  # file reads


async def stream(request: web.Request, state: GatewayState) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    push = state.settings.console.push_seconds
    started = time.monotonic()
    pushes = 0
    sources: tuple[tuple[str, int, Callable[[GatewayState], Awaitable[dict[str, Any]]]], ...] = (
        ("live", 1, live),
        ("recent", SERVICES_EVERY, recent),
        ("services", SERVICES_EVERY, services),
        ("evals", EVALS_EVERY, evals),
    )
    try:
        while not state.draining and time.monotonic() - started < MAX_STREAM_SECONDS:
            for name, every, source in sources:
                if pushes % every == 0:
                    data = await source(state)
                    await response.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            pushes += 1
            await asyncio.sleep(push)  # the push period
    except (ConnectionResetError, ConnectionError):
        pass  # the console went away
    return response
