"""How a call's media reaches the caller: a `MediaLink`, carried by aiortc or by our own endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway import metrics
from gateway.call_events import SocketEvents
from gateway.link.aiortc_link import AiortcLink
from gateway.link.base import MediaLink, StateChanged
from gateway.link.lean_link import LeanLink
from gateway.media.outbound import PlayoutTrack
from gateway.settings import GatewaySettings


def open_link(
    settings: GatewaySettings,
    playout: PlayoutTrack,
    post: Callable[[dict[str, Any]], None],
    on_ice_state: StateChanged,
    on_connection_state: StateChanged,
) -> MediaLink:
    """The link `settings.media_stack` names; `post` queues a message on the caller's socket (the
    lean link's events: it has no data channel)."""
    if settings.media_stack == "lean":
        return LeanLink(settings.ice_servers, settings.connect_timeout, playout, SocketEvents(post), on_ice_state,
                        on_connection_state, settings.ice, _count_refused)  # fmt: skip
    return AiortcLink(settings.ice_servers, playout, on_ice_state, on_connection_state, settings.ice, _count_refused)


def _count_refused(reason: str) -> None:
    metrics.ICE_CANDIDATES_REFUSED.labels(reason).inc()
