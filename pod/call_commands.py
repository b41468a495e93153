"""`voicepod token` (mint a signed token) and `voicepod call` (a headless caller)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pod.ops_settings import state_dir_default
from pod.settings import auth_secret, caller_token


def _secret(state_dir: str) -> bytes:
    secret = auth_secret()
    if secret:
        return secret
    path = Path(state_dir) / "auth_secret"
    if not path.exists():
        raise SystemExit(f"no VOICEPOD_AUTH_SECRET and no {path}: run `voicepod up` once, or set the secret")
    return path.read_text().strip().encode()


def token(args: argparse.Namespace) -> int:
    from gateway.app import OPS_AUDIENCE
    from gateway.auth import WS_AUDIENCE, mint

    audience = {"ws": WS_AUDIENCE, "ops": OPS_AUDIENCE}[args.audience]
    print(mint(_secret(args.state_dir), subject=args.subject, ttl_seconds=args.ttl, audience=audience))
    return 0


def _percent(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage in 0..100, not {text}")
    return value


def _milliseconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"milliseconds must not be negative, not {text}")
    return value


def call(args: argparse.Namespace) -> int:
    from caller.client import CallFailed, place_call
    from caller.impair import Impairment
    from caller.script import ScriptFailed, load_script, scripted_call
    from caller.wav import write_wav

    def show(event: dict[str, Any]) -> None:
        if event.get("type") != "stats" or args.verbose:
            print(json.dumps(event), flush=True)

    token, failed = args.token or None, False
    impairment = None
    if args.loss or args.jitter_ms:
        impairment = Impairment(loss=args.loss / 100, jitter_seconds=args.jitter_ms / 1000)
    try:
        if args.script:
            # Each line is spoken (Piper) once the agent has finished its previous reply.
            result = asyncio.run(scripted_call(args.url, load_script(Path(args.script)), token,
                                               turn_timeout=args.timeout, on_event=show,
                                               impairment=impairment, ice_addresses=args.ice_addresses,
                                               relay_only=args.relay_only))  # fmt: skip
        else:
            result = asyncio.run(place_call(args.url, Path(args.wav), token=token, tail_seconds=args.tail,
                                            timeout=args.timeout, on_event=show, impairment=impairment,
                                            ice_addresses=args.ice_addresses, relay_only=args.relay_only))  # fmt: skip
    except ScriptFailed as exc:
        print(f"voicepod call: the script failed: {exc}", file=sys.stderr)
        result, failed = exc.result, True
    except (CallFailed, OSError, TimeoutError, ValueError) as exc:
        print(f"voicepod call: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.record:
        write_wav(Path(args.record), result.recorder.audio)
    if result.relay is not None:
        print(f"impaired path: {result.relay.describe()}", file=sys.stderr)
    voiced = result.recorder.voiced_seconds()
    print(f"call {result.call_id}: ended by {result.ended_by}; {voiced:.1f} s of agent audio", file=sys.stderr)
    if failed:
        return 1
    return 0 if voiced > 0 else 2


def add_to(commands: Any) -> None:
    t = commands.add_parser("token", help="mint a signed token for /ws (or, with --audience ops, for /calls)")
    t.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    t.add_argument("--subject", default="caller")
    t.add_argument("--audience", choices=("ws", "ops"), default="ws")
    t.add_argument("--state-dir", default=state_dir_default())
    t.set_defaults(run=token)

    c = commands.add_parser("call", help="place a call: speak a WAV or a script of turns, print the events")
    speech = c.add_mutually_exclusive_group(required=True)
    speech.add_argument("--wav", help="16-bit PCM WAV to speak")
    speech.add_argument("--script", help="the caller's lines, one per turn, each said (with Piper) once the agent "
                        "has finished its reply: a text file, or YAML with say/expect per line")  # fmt: skip
    c.add_argument("--record", help="write what the agent said to this WAV")
    c.add_argument("--url", default="ws://127.0.0.1:8080/ws")
    c.add_argument("--token", default=caller_token(), help="or $VOICEPOD_TOKEN")
    c.add_argument("--tail", type=float, default=4.0, help="seconds to keep listening after the WAV ends")
    c.add_argument("--timeout", type=float, default=60.0, help="seconds to connect, and per turn of a script")
    c.add_argument("--verbose", action="store_true", help="also print the periodic stats events")
    c.add_argument("--ice-address", action="append", default=[], metavar="IP", dest="ice_addresses",
                   help="gather the caller's ICE candidates on this local IP only (repeatable; default: "
                   "every interface). 127.0.0.1: a gateway here with VOICEPOD_ICE_ALLOW_LOOPBACK=1")  # fmt: skip
    c.add_argument("--relay-only", action="store_true",
                   help="gather TURN relay candidates only, with the gateway's TURN servers (GET /ice-servers): "
                   "try the relay path a caller behind a symmetric NAT takes")  # fmt: skip
    bad_link = "caller-side impairment of the caller's media packets, to try the agent on a bad link"
    c.add_argument("--loss", type=_percent, default=0.0, metavar="PERCENT",
                   help=f"{bad_link}: drop this share of them (default 0)")  # fmt: skip
    c.add_argument("--jitter-ms", type=_milliseconds, default=0.0, metavar="MS",
                   help=f"{bad_link}: delay each by 0..2*MS ms, MS on average, so they also "
                   "arrive out of order (default 0)")  # fmt: skip
    c.set_defaults(run=call)
