"""Where the caller's ICE gathers: `voicepod call --ice-address 127.0.0.1` keeps a call's media on
the addresses given (tests and benchmarks: loopback only, never the machine's other interfaces).

aiortc gathers on every interface (loopback excluded) in setLocalDescription; this gathers each
of the peer connection's ICE transports on the given addresses first, so aiortc's own gathering
finds nothing left to do. Per connection, nothing process-wide is patched. The caller imports
nothing of the house, so this is a small mirror of gateway/rtc/ice_gather.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiortc import RTCPeerConnection


async def gather_on(pc: RTCPeerConnection, addresses: Sequence[str]) -> None:
    """Call before setLocalDescription; `addresses` are local IPs (a ValueError names a bad one)."""
    chosen = [str(ipaddress.ip_address(a.strip())) for a in addresses]
    gatherers = [t.receiver.transport.transport.iceGatherer for t in pc.getTransceivers()]
    if pc.sctp is not None:
        gatherers.append(pc.sctp.transport.transport.iceGatherer)
    for gatherer in {id(g): g for g in gatherers}.values():
        if gatherer.state != "new":
            continue
        # What aioice's Connection.gather_candidates does after picking every interface's address.
        connection = gatherer._connection
        if all(ipaddress.ip_address(a).is_loopback for a in chosen):
            connection.stun_server = None  # aiortc's default (Google's) is unreachable from loopback: not asked
        connection._local_candidates_start = True
        candidates = await connection.get_component_candidates(component=1, addresses=chosen)
        if not candidates:
            raise OSError(f"could not bind a UDP socket on {', '.join(chosen)} (--ice-address)")
        connection._local_candidates += candidates
        connection._local_candidates_end = True
