"""`voicepod audit trail CALL_ID` (a call's audit entries, from the audit service) and
`voicepod audit verify` (the hash chain: on the store directly, or with --via bus through the service)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bus import subjects
from bus.contracts import audit_pb2
from bus.ops_views import audit_entry_dict as as_dict
from pod import ops_bus
from pod.ops_format import local_iso, table


def _details(attributes: Any) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(attributes.items()))


async def show_trail(services: ops_bus.Services, call_id: str, as_json: bool) -> int:
    reply = await services.ask(subjects.GET_AUDIT_TRAIL, audit_pb2.GetAuditTrailRequest(call_id=call_id))
    if not reply.entries:
        raise ops_bus.OpsError(f"no audit entries for call {call_id}", ops_bus.NOT_FOUND)
    if as_json:
        print(json.dumps([as_dict(x) for x in reply.entries], indent=2))
        return 0
    rows = [[str(x.sequence), local_iso(x.event.occurred_at), x.event.actor, x.event.action, x.event.outcome,
             _details(x.event.attributes), x.hash[:12]] for x in reply.entries]  # fmt: skip
    print(table(("SEQ", "AT", "ACTOR", "ACTION", "OUTCOME", "DETAILS", "HASH"), rows, right=frozenset({0})))
    return 0


async def verify_chain(services: ops_bus.Services) -> int:
    v = await services.ask(subjects.VERIFY_AUDIT_CHAIN, audit_pb2.VerifyAuditChainRequest())
    if v.ok:
        print(f"audit chain intact: {v.entries_checked} entries")
        return 0
    print(f"audit chain broken at entry {v.first_broken_sequence}: {v.detail} "
          f"({v.entries_checked} entries before it are intact)")  # fmt: skip
    return 1


def trail(args: argparse.Namespace) -> int:
    return ops_bus.run(args, "audit trail", lambda services: show_trail(services, args.call_id, args.json))


def verify(args: argparse.Namespace) -> int:
    if args.via == "store":
        from pod.store_commands import audit_verify

        return audit_verify(args)
    return ops_bus.run(args, "audit verify", verify_chain)


def add_to(commands: Any) -> None:
    audit = commands.add_parser("audit", help="the audit log").add_subparsers(dest="audit", required=True)
    t = audit.add_parser("trail", help="a call's audit entries in log order (through the audit service)")
    t.add_argument("call_id", metavar="CALL_ID")
    t.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ops_bus.add_bus_arguments(t)
    t.set_defaults(run=trail)

    v = audit.add_parser("verify", help="recompute the hash chain; exit 1 at the first broken entry")
    v.add_argument("--via", choices=("store", "bus"), default="store",
                   help="store: read the audit database directly (DATABASE_URL or the state directory; the "
                   "service need not run); bus: ask the audit service over NATS (compose, k8s)")  # fmt: skip
    ops_bus.add_bus_arguments(v)
    v.set_defaults(run=verify)
