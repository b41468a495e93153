"""How an operator's command asks the services (bus/ops_client.py): its NATS arguments, and every
way that can fail said in one sentence on stderr with a non-zero exit (never a traceback)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bus.logging import configure_logging

# The client itself is shared with the gateway's console (bus/ops_client.py); the commands use it from here.
from bus.ops_client import CANNOT_ASK as CANNOT_ASK
from bus.ops_client import NOT_FOUND as NOT_FOUND
from bus.ops_client import OpsError as OpsError
from bus.ops_client import Services as Services
from bus.ops_client import services as services
from pod.ops_settings import ops_bus_settings, state_dir_default


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"seconds in (0, 600], not {text}")
    return value


def add_bus_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nats-url", default=None,
                        help="the pod's NATS (default: $NATS_URL, else the one `voicepod up` runs, "
                        "else nats://127.0.0.1:4222)")  # fmt: skip
    parser.add_argument("--state-dir", default=state_dir_default(),
                        help="`voicepod up`'s state directory (default: $VOICEPOD_STATE_DIR or .voicepod)")  # fmt: skip
    parser.add_argument("--timeout", type=_seconds, default=5.0,
                        help="seconds to reach NATS, and for each answer (default 5)")  # fmt: skip


def run(args: argparse.Namespace, command: str, work: Callable[[Services], Awaitable[int]]) -> int:
    """Run `work` against the services named by the command's bus arguments; an OpsError is printed."""
    configure_logging("voicepod-cli", level="critical", fmt="json")  # stdout is the command's alone

    async def go() -> int:
        try:
            settings = ops_bus_settings(args.nats_url, Path(args.state_dir), args.timeout)
        except (OSError, ValueError) as exc:  # NATS_TLS_* half set, an unreadable state directory
            raise OpsError(f"bad NATS settings: {exc}") from None
        async with services(settings, args.timeout) as s:
            return await work(s)

    try:
        return asyncio.run(go())
    except OpsError as exc:
        print(f"voicepod {command}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
