"""Running the gateway process: connect to NATS, serve the call port and the ops port, drain on
SIGTERM, give the events still retrying a bounded time to publish."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import web

from bus import events
from bus.client import BusClient
from bus.connection import connect
from bus.settings import BusSettings
from bus.signals import wait_for_stop_signal
from gateway import auth, metrics
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.app import GatewayState, build_app, build_ops_app
from gateway.calls import CallRegistry
from gateway.providers.choose import choose_stt, choose_tts
from gateway.recorder import IN_FLIGHT
from gateway.rtc.ice_gather import GatherError, local_addresses
from gateway.settings import GatewaySettings
from gateway.turns import TurnSettings, detector_for

log = structlog.get_logger("gateway.server")


def check_startup(settings: GatewaySettings) -> None:
    """Refuse to start with an ICE address that matches nothing, or a token secret missing or too
    short (SystemExit with what to do)."""
    if settings.ice.addresses:  # an interface name that matches nothing: say so now, not at the first call
        try:
            local_addresses(settings.ice.addresses, ipv6=settings.media_stack == "aiortc")
        except GatherError as e:
            raise SystemExit(str(e)) from None
    if settings.dev_mode:
        return
    if not settings.auth_secret:
        raise SystemExit("VOICEPOD_AUTH_SECRET is required (or VOICEPOD_DEV_MODE=1 for local development)")
    if problem := auth.secret_problem(settings.auth_secret):
        raise SystemExit(problem)


async def run_gateway(settings: GatewaySettings, bus_settings: BusSettings, *, reuse_port: bool = False) -> None:
    """One gateway process; `reuse_port`: one of several workers sharing the ports (SO_REUSEPORT)."""
    check_startup(settings)
    providers = settings.providers
    providers.check()
    stt = choose_stt(providers)
    if hasattr(stt, "warm_up"):
        await asyncio.to_thread(stt.warm_up)  # load and hash-check a local model before the first caller
    turn_settings = TurnSettings.from_env()
    await asyncio.to_thread(detector_for, turn_settings)  # with VOICEPOD_END_OF_TURN=model: load, hash-check
    nc = await connect(bus_settings, name="voicepod-gateway", inbox="gateway")
    bus = BusClient(nc)
    state = GatewayState(
        settings=settings, nc=nc, bus=bus, calls=CallRegistry(settings.max_calls),
        turn_settings=turn_settings, stt=stt,
    )  # fmt: skip
    if metrics.MULTIPROCESS:
        state.spawn(metrics.publish_worker_gauges())  # one of several workers: tasks and threads for /metrics
    if settings.agent != "echo":
        tts = choose_tts(providers)
        if hasattr(tts, "warm_up"):
            await asyncio.to_thread(tts.warm_up)
        state.responder_factory = agent_factory(AgentConfig.load(settings.agent), bus, tts, providers)
        state.agent_name = settings.agent
    for stream in (events.AUDIT, events.TRANSCRIPT):
        await events.ensure_stream(nc.jetstream(), stream)
    runner = web.AppRunner(build_app(state), access_log=None)
    ops_runner = web.AppRunner(build_ops_app(state), access_log=None)
    await runner.setup()
    await ops_runner.setup()
    try:
        # Workers share both ports; /metrics on whichever answers counts them all (multiprocess files).
        await web.TCPSite(runner, settings.host, settings.http_port, reuse_port=reuse_port or None).start()
        await web.TCPSite(ops_runner, settings.ops_host, settings.ops_port, reuse_port=reuse_port or None).start()
        log.info("gateway_listening", host=settings.host, port=settings.http_port, ops_host=settings.ops_host,
                 ops_port=settings.ops_port, dev_mode=settings.dev_mode, stt=providers.stt, tts=providers.tts,
                 engine=providers.engine, agent=settings.agent)  # fmt: skip
        sig = await wait_for_stop_signal()
        # Readiness turns false first so load balancers stop sending new callers; live calls get
        # drain_timeout to finish, then are ended politely (bye on their socket).
        state.draining = True
        log.info("draining", signal=sig.name, live_calls=len(state.calls), timeout_seconds=settings.drain_timeout)
        if not await state.calls.wait_empty(settings.drain_timeout):
            await state.calls.end_all("drain")
    finally:
        await state.calls.end_all("shutdown")
        # Before the connection goes: transcript/audit events still retrying (NATS was down) get a
        # bounded time to publish; what is left is counted lost and logged (gateway/recorder.py).
        await IN_FLIGHT.settle(settings.events_exit_timeout)
        await runner.cleanup()
        await ops_runner.cleanup()
        with contextlib.suppress(Exception):
            await nc.drain()
