"""The `voicepod` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bus.logging import configure_logging
from bus.settings import BusSettings
from pod import (
    audit_commands,
    call_commands,
    calls_command,
    cost_command,
    dial_command,
    eval_commands,
    shadow_command,
    store_commands,
    transcript_command,
    worker_command,
)
from pod.ops_settings import state_dir_default
from pod.settings import log_format, log_level, ops_host


def _log_format() -> str:
    return log_format()


def _log_level() -> str:
    return log_level()


def cmd_up(args: argparse.Namespace) -> int:
    from pod.supervisor import Supervisor, UpOptions

    configure_logging("supervisor", level=_log_level(), fmt=_log_format())  # type: ignore[arg-type]
    options = UpOptions(
        state_dir=Path(args.state_dir),
        http_host=args.host,
        http_port=args.http_port,
        nats_url=args.nats_url,
        log_format=_log_format(),
        dev_mode=args.dev,
    )
    return asyncio.run(Supervisor(options).run())


def cmd_service(args: argparse.Namespace) -> int:
    from bus.runner import run_service
    from services.registry import DEFINITIONS

    definition = DEFINITIONS[args.name]
    configure_logging(args.name, level=_log_level(), fmt=_log_format())  # type: ignore[arg-type]
    asyncio.run(run_service(definition, BusSettings.from_env(), ops_host=args.ops_host, ops_port=args.ops_port))
    return 0


def cmd_gateway(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from gateway.server import check_startup, run_gateway
    from gateway.settings import GatewaySettings
    from pod.gateway_workers import WorkerPorts, default_workers, run_workers

    settings = GatewaySettings.from_env()
    settings = replace(
        settings, host=args.host or settings.host, http_port=args.port or settings.http_port,
        ops_host=args.ops_host or settings.ops_host, ops_port=args.ops_port or settings.ops_port,
    )  # fmt: skip
    check_startup(settings)  # before any worker starts: one clear error, not one per restart
    # Shadow mode: the desk's queue lives in one process, so callers and the desk must meet there.
    workers = 1 if settings.shadow else args.workers or default_workers()
    if workers > 1:
        if not settings.http_port:
            raise SystemExit("--workers needs a fixed --port: the workers share it")
        configure_logging("gateway-workers", level=_log_level(), fmt=_log_format())  # type: ignore[arg-type]
        if settings.rtc_udp_port:  # each worker binds VOICEPOD_RTC_UDP_PORT + its index: all must be free
            from gateway.rtc.ice_gather import mux_addresses
            from gateway.rtc.udp_mux import taken_port

            first = settings.rtc_udp_port
            problem = taken_port(mux_addresses(settings.ice), range(first, first + workers))
            if problem:
                raise SystemExit(problem)
        ports = WorkerPorts(settings.host, settings.http_port, settings.ops_host, settings.ops_port)
        return asyncio.run(run_workers(workers, ports, settings.drain_timeout + 10))
    configure_logging("gateway", level=_log_level(), fmt=_log_format())  # type: ignore[arg-type]
    asyncio.run(run_gateway(settings, BusSettings.from_env(), reuse_port=args.reuse_port))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voicepod", description="An open-source AI voice gateway.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run the whole pod: nats-server, the six services and the gateway")
    up.add_argument(
        "--state-dir",
        default=state_dir_default(),
        help="where NATS and the stores keep their data (default: ./.voicepod)",
    )
    up.add_argument("--host", default="127.0.0.1", help="gateway HTTP bind address (default: 127.0.0.1)")
    up.add_argument("--http-port", type=int, default=8080, help="gateway HTTP port, 0 for any free one")
    up.add_argument("--nats-url", default=None, help="use this NATS server instead of starting one")
    up.add_argument("--dev", action="store_true", help="local development: no token needed on /ws")
    up.set_defaults(run=cmd_up)

    from bus.subjects import SERVICE_NAMES

    service = commands.add_parser("service", help="run one service (what `up` starts six of)")
    service.add_argument("name", choices=SERVICE_NAMES)
    service.add_argument(
        "--ops-host",
        default=ops_host(),
        help="bind address of /metrics, /healthz, /readyz",
    )
    service.add_argument(
        "--ops-port", type=int, default=None, help="port of /metrics, /healthz, /readyz (default: the service's own)"
    )
    service.set_defaults(run=cmd_service)

    gateway = commands.add_parser("gateway", help="run the gateway (WebRTC, signaling, agent)")
    gateway.add_argument("--host", default=None, help="HTTP bind address (default: $VOICEPOD_HTTP_HOST or 0.0.0.0)")
    gateway.add_argument("--port", type=int, default=None, help="HTTP port (default: $VOICEPOD_HTTP_PORT or 8080)")
    gateway.add_argument(
        "--ops-host",
        default=None,
        help="bind address of /metrics, /healthz, /readyz (default: $VOICEPOD_OPS_HOST or 0.0.0.0)",
    )
    gateway.add_argument(
        "--ops-port",
        type=int,
        default=None,
        help="port of /metrics, /healthz, /readyz (default: $VOICEPOD_OPS_PORT or 9090)",
    )
    gateway.add_argument(
        "--workers", type=int, default=None,
        help="gateway processes sharing the port (default: $VOICEPOD_WORKERS, else one per usable core)",
    )  # fmt: skip
    gateway.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for each worker
    gateway.set_defaults(run=cmd_gateway)
    store_commands.add_to(commands)
    call_commands.add_to(commands)
    dial_command.add_to(commands)
    worker_command.add_to(commands)
    eval_commands.add_to(commands)
    shadow_command.add_to(commands)
    # The operators' view of past calls, through the services over NATS.
    calls_command.add_to(commands)
    transcript_command.add_to(commands)
    audit_commands.add_to(commands)
    cost_command.add_to(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
