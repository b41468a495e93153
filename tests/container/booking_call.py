"""The booking call every container test places, and what it must leave in the services' stores."""

from __future__ import annotations

import json
from typing import Any

from caller.booking import BOOKING
from caller.client import CallResult
from caller.script import scripted_call
from gateway import auth
from tests.container.podman import Podman

# Run inside a services container: the stores as the services wrote them (SQLite on the shared volume).
READ_STORES = """
import json
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from pod.store_commands import with_store
from services.calendar.store import BookingRow
from services.sms.store import OutboxRow

async def rows(engine, model):
    async with AsyncSession(engine) as session:
        return list((await session.execute(select(model))).scalars())

bookings = with_store("calendar", lambda engine: rows(engine, BookingRow))
texts = with_store("sms", lambda engine: rows(engine, OutboxRow))
print(json.dumps({
    "bookings": [[b.contact_name, b.contact_phone_e164, b.listing_id] for b in bookings],
    "texts": [[t.to_phone_e164, t.body] for t in texts],
}))
"""


async def book_a_showing(gateway_address: str, caller_address: str, auth_secret: str) -> CallResult:
    """The headless caller on this host, its media only on `caller_address` (podman's network)."""
    token = auth.mint(auth_secret.encode(), ttl_seconds=1800)
    url = f"ws://{gateway_address}:8080/ws"
    return await scripted_call(url, BOOKING, token, turn_timeout=150, ice_addresses=[caller_address])


def stores(podman: Podman, container: str) -> dict[str, Any]:
    return dict(json.loads(podman.run("exec", container, "python", "-c", READ_STORES)))
