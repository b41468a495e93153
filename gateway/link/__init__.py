"""How a WebRTC call's media reaches the caller: a `WebRtcLink`, carried by aiortc or by our own endpoint
(a phone call's link is opened by its bridge: gateway/link/phone/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway import metrics
from gateway.call_events import SocketEvents
from gateway.link.aiortc.link import AiortcLink
from gateway.link.base import StateChanged, WebRtcLink
from gateway.link.lean_link import LeanLink
from gateway.media.outbound import PlayoutTrack
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings


def open_link(
    settings: GatewaySettings,
    playout: PlayoutTrack,
    post: Callable[[dict[str, Any]], None],
    on_ice_state: StateChanged,
    on_connection_state: StateChanged,
    udp_mux: UdpMux | None = None,
) -> WebRtcLink:
    """The link `settings.media_stack` names; `post` queues a message on the caller's socket (the
    lean link's events when the caller has no open data channel); a lean link's media goes through
    `udp_mux` if given."""
    if settings.media_stack == "lean":
        return LeanLink(settings.servers(), settings.connect_timeout, playout, SocketEvents(post), on_ice_state,
                        on_connection_state, settings.ice, _count_refused, udp_mux,
                        settings.media_inactivity_timeout)  # fmt: skip
    return AiortcLink(settings.servers(), playout, on_ice_state, on_connection_state, settings.ice, _count_refused)


def _count_refused(reason: str) -> None:
    metrics.ICE_CANDIDATES_REFUSED.labels(reason).inc()
