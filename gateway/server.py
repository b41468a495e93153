"""Running the gateway process: connect to NATS, serve the call port and the ops port, drain on
SIGTERM, give the events still retrying a bounded time to publish."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import web

from bus import events, tracing
from bus.client import BusClient
from bus.connection import connect
from bus.settings import BusSettings
from bus.signals import wait_for_stop_signal
from gateway import auth, metrics
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.app import build_app, build_ops_app
from gateway.calls import CallRegistry
from gateway.link.phone.dial_service import dial_service
from gateway.providers.choose import choose_stt, choose_tts
from gateway.recorder import IN_FLIGHT
from gateway.rtc.ice_gather import GatherError, local_addresses, mux_addresses
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings
from gateway.shadow.desk import Desk
from gateway.state import GatewayState
from gateway.text_end_of_turn import text_turns_problem
from gateway.turns import TurnSettings, detector_for
from gateway.voicemail.answering import Answering
from gateway.voicemail.object_store import LocalDirectory
from gateway.voicemail.settings import AsyncSettings

log = structlog.get_logger("gateway.server")


def check_startup(settings: GatewaySettings) -> None:
    """Refuse to start with an ICE address that matches nothing, or a token secret missing or too
    short (SystemExit with what to do)."""
    if settings.ice.addresses:  # an interface name that matches nothing: say so now, not at the first call
        try:
            local_addresses(settings.ice.addresses, ipv6=settings.media_stack == "aiortc")
        except GatherError as e:
            raise SystemExit(str(e)) from None
    if settings.shadow and settings.agent == "echo":
        raise SystemExit("VOICEPOD_SHADOW=on needs an agent to recommend (VOICEPOD_AGENT), not echo")
    if settings.dev_mode:
        return
    if not settings.auth_secret:
        raise SystemExit("VOICEPOD_AUTH_SECRET is required (or VOICEPOD_DEV_MODE=1 for local development)")
    if problem := auth.secret_problem(settings.auth_secret):
        raise SystemExit(problem)


async def open_media_port(settings: GatewaySettings) -> UdpMux | None:
    """The shared UDP port every call's media goes through (VOICEPOD_RTC_UDP_PORT), or None when
    unset (a socket per call). Bound before anything slow loads: a port in use ends start-up at
    once with what to do (SystemExit)."""
    if not settings.rtc_udp_port:
        return None
    try:
        addresses = mux_addresses(settings.ice)
        mux = await UdpMux.open(addresses, settings.rtc_udp_port, _count_mux_drop)
    except (OSError, GatherError) as e:
        raise SystemExit(f"voicepod gateway: {e.strerror if isinstance(e, OSError) and e.strerror else e}") from None
    log.info("media_port_listening", port=mux.port, addresses=addresses)
    return mux


def _count_mux_drop(reason: str) -> None:
    metrics.MEDIA_MUX_DROPPED.labels(reason).inc()


async def drain(state: GatewayState, timeout: float) -> bool:
    """Stop taking calls and give the live ones `timeout` to end by themselves (then a polite bye:
    "drain"); True if they all did. Readiness turns false first, so load balancers stop sending
    callers. Shadow calls finish like the agent's (a person is on each); whoever waits at the desk
    is hung up at once: nobody new can reach this desk now to take them, or to be taken."""
    state.draining = True
    if state.desk is not None:
        await state.desk.end_waiting("drain")
    if await state.calls.wait_empty(timeout):
        return True
    await state.calls.end_all("drain")
    return False


async def run_gateway(settings: GatewaySettings, bus_settings: BusSettings, *, reuse_port: bool = False) -> None:
    """One gateway process; `reuse_port`: one of several workers sharing the ports (SO_REUSEPORT)."""
    check_startup(settings)
    udp_mux = await open_media_port(settings)
    providers = settings.providers
    providers.check()
    stt = choose_stt(providers)
    if stt is not None and hasattr(stt, "warm_up"):
        await asyncio.to_thread(stt.warm_up)  # load and hash-check a local model before the first caller
    turn_settings = TurnSettings.from_env()
    if turn_settings.end_of_turn == "text":
        if problem := text_turns_problem(providers.stt, providers.stt_incremental):
            raise SystemExit(problem)
    else:
        await asyncio.to_thread(detector_for, turn_settings)  # with VOICEPOD_END_OF_TURN=model: load, hash-check
    tracing.start(bus_settings, "voicepod-gateway")  # OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
    nc = await connect(bus_settings, name="voicepod-gateway", inbox="gateway")
    bus = BusClient(nc)
    state = GatewayState(
        settings=settings, nc=nc, bus=bus, calls=CallRegistry(settings.max_calls),
        turn_settings=turn_settings, stt=stt, udp_mux=udp_mux,
    )  # fmt: skip
    if metrics.MULTIPROCESS:
        state.spawn(metrics.publish_worker_gauges())  # one of several workers: tasks and threads for /metrics
    if settings.agent != "echo":
        tts = choose_tts(providers)
        if hasattr(tts, "warm_up"):
            await asyncio.to_thread(tts.warm_up)
        config = AgentConfig.load(settings.agent)
        state.responder_factory = agent_factory(config, bus, tts, providers)
        state.agent_name = settings.agent
        if config.async_mode is not None:  # async mode: voicemail after hours and over capacity
            store = LocalDirectory(AsyncSettings.from_env().object_dir)
            state.answering = Answering(config.name, config.time_zone, config.async_mode, tts, store, nc.jetstream())
        if settings.shadow:  # callers queue for the desk; the agent recommends (gateway/shadow/)
            state.desk = Desk(config, bus, settings, turn_settings, stt, nc.jetstream(), udp_mux)
    for stream in (events.AUDIT, events.TRANSCRIPT):
        await events.ensure_stream(nc.jetstream(), stream)
    runner = web.AppRunner(build_app(state), access_log=None)
    ops_runner = web.AppRunner(build_ops_app(state), access_log=None)
    await runner.setup()
    await ops_runner.setup()
    exits = contextlib.AsyncExitStack()
    await exits.enter_async_context(dial_service(state))  # voicepod.phone.dial: outbound calls
    try:
        # Workers share both ports; /metrics on whichever answers counts them all (multiprocess files).
        await web.TCPSite(runner, settings.host, settings.http_port, reuse_port=reuse_port or None).start()
        await web.TCPSite(ops_runner, settings.ops_host, settings.ops_port, reuse_port=reuse_port or None).start()
        log.info("gateway_listening", host=settings.host, port=settings.http_port, ops_host=settings.ops_host,
                 ops_port=settings.ops_port, dev_mode=settings.dev_mode, stt=providers.stt, tts=providers.tts,
                 engine=providers.engine, agent=settings.agent)  # fmt: skip
        sig = await wait_for_stop_signal()
        log.info("draining", signal=sig.name, live_calls=len(state.calls), timeout_seconds=settings.drain_timeout)
        await drain(state, settings.drain_timeout)
    finally:
        await state.calls.end_all("shutdown")
        if state.desk is not None:
            await state.desk.end_all("shutdown")
        # Before the connection goes: transcript/audit events still retrying (NATS was down) get a
        # bounded time to publish; what is left is counted lost and logged (gateway/recorder.py).
        await IN_FLIGHT.settle(settings.events_exit_timeout)
        await exits.aclose()
        await runner.cleanup()
        await ops_runner.cleanup()
        if udp_mux is not None:
            udp_mux.close()
        with contextlib.suppress(Exception):
            await nc.drain()
        await asyncio.to_thread(tracing.stop)  # the ended calls' last spans, sent off the loop
