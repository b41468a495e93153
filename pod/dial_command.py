"""`voicepod dial +1…`: ask the gateway (voicepod.phone.dial over NATS) to call a number. The agent
talks to whoever answers, or leaves its voicemail on a machine; the outcome is in the audit trail.
A refused dial (do-not-call, too many calls to the number, not set up) prints why and exits 1."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


async def _dial(args: argparse.Namespace) -> int:
    from bus import errors, subjects
    from bus.client import BusClient
    from bus.connection import connect
    from bus.contracts import phone_pb2
    from bus.settings import BusSettings

    nc = await connect(BusSettings.from_env(), name="voicepod-dial", inbox="dial")
    try:
        request = phone_pb2.DialCallRequest(to_phone=args.number, purpose=args.purpose,
                                            source_call_id=args.source_call_id)  # fmt: skip
        reply = await BusClient(nc).call(subjects.DIAL_CALL, request, timeout=args.timeout)
    except errors.ServiceError as e:
        print(f"voicepod dial: refused ({e.code} {e.reason}): {e.message}", file=sys.stderr)
        return 1
    except errors.BusError as e:
        print(f"voicepod dial: no answer from a gateway ({type(e).__name__}): is `voicepod up` running?",
              file=sys.stderr)  # fmt: skip
        return 1
    finally:
        await nc.close()
    print(f"dialling {reply.to_phone_e164}: dial {reply.dial_id}, Twilio call {reply.call_sid}")
    return 0


def dial(args: argparse.Namespace) -> int:
    return asyncio.run(_dial(args))


def add_to(commands: Any) -> None:
    d = commands.add_parser("dial", help="call a number: the agent talks to a person, leaves a voicemail on a machine")
    d.add_argument("number", help="the number to call, international form (+15125550123)")
    d.add_argument("--purpose", default="callback", help="why, for the records (default: callback)")
    d.add_argument("--source-call-id", default="", help="the call this one follows up, for the records")
    d.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the gateway's answer")
    d.set_defaults(run=dial)
