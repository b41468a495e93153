"""A phone caller in shadow mode (VOICEPOD_SHADOW=on, docs/modes.md): put through to the desk's
queue instead of the agent, on the link the bridge opened. The desk's leg hears and plays it like
a WebRTC caller's (gateway/shadow/leg.py); only this side knows it is a phone line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gateway.call_origin import CallOrigin
from gateway.link.base import LinkOpener
from gateway.link.phone.keypad import Keypad
from gateway.link.phone.stream_link import StreamLink

if TYPE_CHECKING:
    from gateway.calls import CallRegistry
    from gateway.shadow.desk import Desk

log = structlog.get_logger("gateway.link.phone")


async def to_the_desk(desk: Desk, calls: CallRegistry, origin: CallOrigin, open_media: LinkOpener,
                      stream_id: str = "") -> str:  # fmt: skip
    """Queue the caller for the desk and carry the line until it ends; why it ended (`StreamLink.run`).
    The leg takes a line in `calls` as an agent's call does. `stream_id`: the bridge's id for the
    stream, else the leg's call id (for logs)."""
    leg = desk.open_line(origin, open_media, lambda ended, _reason: calls.remove(ended))
    calls.add(leg)
    link = leg.link
    assert isinstance(link, StreamLink)
    link.stream_id = stream_id or leg.call_id
    link.keypad = Keypad(leg.typed)  # keys pressed are the caller's turns for the person and the advisor
    log.info("phone_caller_to_desk", call_id=leg.call_id, stream_id=link.stream_id)
    leg.start()
    reason = await link.run()
    await leg.hang_up(reason)
    return reason
