"""The STUN/TURN servers the gateway hands its callers (GET /ice-servers, the same the page takes),
as aiortc's RTCConfiguration; with `relay_only`, the caller gathers TURN relay candidates only
(WebRTC's iceTransportPolicy "relay": what a caller behind a symmetric NAT ends up using).

A gateway without the route (an older one) gives no servers: the caller gathers host candidates.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy


def ice_servers_url(ws_url: str) -> str:
    """ws://host:port/ws → http://host:port/ice-servers (wss → https)."""
    scheme, rest = ws_url.split("://", 1)
    base = rest.split("/", 1)[0]
    return f"{'https' if scheme == 'wss' else 'http'}://{base}/ice-servers"


async def configuration(http: aiohttp.ClientSession, ws_url: str, headers: dict[str, str], *,
                        relay_only: bool = False) -> RTCConfiguration:  # fmt: skip
    """The gateway's ICE servers (credentials included) as an RTCConfiguration. An empty list when
    it has none, not aiortc's default (Google's public STUN server)."""
    async with http.get(ice_servers_url(ws_url), headers=headers) as response:
        if response.status == 404:
            listed: list[dict[str, Any]] = []
        else:
            if response.status != 200:
                raise ValueError(f"GET /ice-servers: HTTP {response.status}: {(await response.text())[:200]}")
            listed = (await response.json())["iceServers"]
    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in listed]
    if relay_only and not any(s.username for s in servers):
        raise ValueError("--relay-only: the gateway names no TURN server (VOICEPOD_ICE_SERVERS)")
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)
