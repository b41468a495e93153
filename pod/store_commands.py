"""Commands that work on a service's store directly (the service need not run):
`voicepod mls load`, `voicepod sms outbox`, `voicepod sms opt-out`, `voicepod audit verify` (its parser is
in pod/audit_commands.py, with `audit trail`). They read the same settings as the services (DATABASE_URL,
VOICEPOD_STATE_DIR)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


def with_store(service: str, use: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from services.storage import StoreSettings, open_database

    async def run() -> T:
        engine = await open_database(service, StoreSettings.from_env())
        try:
            return await use(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def mls_load(args: argparse.Namespace) -> int:
    from services.mls_lookup.feed import read_feed
    from services.mls_lookup.listing import FeedError
    from services.mls_lookup.store import ListingStore

    try:
        records = read_feed(Path(args.file))
    except (FeedError, OSError, ValueError) as exc:
        print(f"voicepod mls load: {exc}", file=sys.stderr)
        return 2
    loaded = with_store("mls_lookup", lambda engine: ListingStore(engine).load(records, replace=args.replace))
    print(f"loaded {loaded} listings from {args.file}")
    return 0


def sms_outbox(args: argparse.Namespace) -> int:
    from services.sms.store import SmsStore

    rows = with_store("sms", lambda engine: SmsStore(engine).outbox(limit=args.limit))
    if not rows:
        print("the outbox is empty")
    for row in rows:
        print(f"{row.created_at:%Y-%m-%d %H:%M:%S}  {row.to_phone_e164}  {row.body}")
    return 0


def sms_opt_out(args: argparse.Namespace) -> int:
    from bus import errors
    from services.phone import to_e164
    from services.sms.store import SmsStore

    try:
        number = to_e164(args.phone)
    except errors.BadRequest as exc:
        print(f"voicepod sms opt-out: {exc.message}", file=sys.stderr)
        return 2
    with_store("sms", lambda engine: SmsStore(engine).set_opt_out(number, not args.undo, "operator"))
    print(f"{number}: {'may receive messages again' if args.undo else 'opted out'}")
    return 0


def audit_verify(_: argparse.Namespace) -> int:
    from services.audit.store import AuditStore

    verdict = with_store("audit", lambda engine: AuditStore(engine).verify())
    if verdict.ok:
        print(f"audit chain intact: {verdict.checked} entries")
        return 0
    print(f"audit chain broken at entry {verdict.first_broken}: {verdict.detail} "
          f"({verdict.checked} entries before it are intact)")  # fmt: skip
    return 1


def add_to(commands: Any) -> None:
    mls = commands.add_parser("mls", help="the MLS listings store").add_subparsers(dest="mls", required=True)
    load = mls.add_parser("load", help="load a listings feed (.jsonl, .json or .csv, optionally .gz)")
    load.add_argument("file")
    load.add_argument("--replace", action="store_true", help="drop listings that are not in this feed")
    load.set_defaults(run=mls_load)

    sms = commands.add_parser("sms", help="the SMS store").add_subparsers(dest="sms", required=True)
    outbox = sms.add_parser("outbox", help="list what the outbox provider sent, newest first")
    outbox.add_argument("--limit", type=int, default=50)
    outbox.set_defaults(run=sms_outbox)
    opt_out = sms.add_parser("opt-out", help="stop (or with --undo, allow again) messages to a number")
    opt_out.add_argument("phone")
    opt_out.add_argument("--undo", action="store_true")
    opt_out.set_defaults(run=sms_opt_out)
