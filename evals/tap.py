"""What the agent asked the services to do, and during which caller turn: a listener on the bus.

The confirmation check needs to know WHEN a booking, a lead or a text was requested, relative to
what the agent said and what the caller answered. The stores only say what was written, not when
in the conversation. So each write endpoint gets a plain (non-queue) subscription: NATS hands it
a copy of every request, whichever engine sent it (the dialog, an LLM, the gateway in audio
mode), and it never answers. The modes call `settle(turn)` once the agent has finished with a
caller line; every request seen since the previous settle is stamped with that turn (within a
turn, requests to different endpoints are not kept in order: one subscription each).

Only services that run are tapped: a subscriber on a `down` service's subject would turn the
agent's immediate "no responders" into a timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.subscription import Subscription
from nats.errors import TimeoutError as NatsTimeout

from bus import subjects
from bus.endpoint import Endpoint
from services.timestamps import from_proto

# Requests with this source_call_id come from the eval's own "someone else" (faults.taken).
SOMEONE_ELSE = "eval-someone-else"
BOOK, LEAD, SMS = "book_showing", "upsert_lead", "send_sms"
WRITES: dict[str, Endpoint[Any, Any]] = {
    BOOK: subjects.BOOK_SHOWING,
    LEAD: subjects.UPSERT_LEAD,
    SMS: subjects.SEND_SMS,
}


@dataclass(frozen=True)
class ToolCall:
    """One write request as the service received it."""

    tool: str  # book_showing | upsert_lead | send_sms
    turn: int  # the caller line the agent was answering (0: the greeting)
    phone: str  # as sent (any notation): the contact, the lead's or the text's recipient
    start: datetime | None = None  # book_showing: the slot (UTC)
    time_zone: str = ""  # book_showing: the listing's zone
    listing_id: str = ""
    call_id: str = ""


def _decode(tool: str, message: Any, turn: int) -> ToolCall:
    if tool == BOOK:
        start = from_proto(message.start_time) if message.HasField("start_time") else None
        return ToolCall(tool, turn, message.contact_phone, start, message.time_zone, message.listing_id,
                        message.source_call_id)  # fmt: skip
    if tool == LEAD:
        return ToolCall(tool, turn, message.phone, call_id=message.source_call_id)
    return ToolCall(tool, turn, message.to_phone, call_id=message.source_call_id)


@dataclass
class ToolTap:
    """Copies of the write requests on `nc`'s server, stamped with the caller turn they belong to."""

    calls: list[ToolCall] = field(default_factory=list)
    _subs: dict[str, Subscription] = field(default_factory=dict)
    _nc: NATS | None = None

    async def start(self, nc: NATS, services: tuple[str, ...]) -> None:
        self._nc = nc
        for tool, endpoint in WRITES.items():
            if endpoint.service in services:
                self._subs[tool] = await nc.subscribe(endpoint.subject)

    async def stop(self) -> None:
        for sub in self._subs.values():
            await sub.unsubscribe()
        self._subs.clear()

    async def settle(self, turn: int) -> None:
        """Stamp every request received since the last settle with `turn`.

        A flush is a round trip to the server: everything it delivered before its answer has been
        read off the socket into the subscriptions' queues by then, so nothing is stamped late."""
        if self._nc is None:
            return
        # Twice: a request seen by the second round trip but not the first still belongs to this turn
        # (the tap's test once found none of a turn's requests queued after the first flush).
        for _ in range(2):
            await self._nc.flush(timeout=5)
            for tool, sub in self._subs.items():
                while sub.pending_msgs:
                    try:
                        msg = await sub.next_msg(timeout=1)
                    except NatsTimeout:
                        break
                    request = WRITES[tool].request()
                    request.ParseFromString(msg.data)
                    call = _decode(tool, request, turn)
                    if call.call_id != SOMEONE_ELSE:
                        self.calls.append(call)
