"""The gateway's own relay candidate: an allocation on a TURN server, through aioice's TURN client.

aioice's client does the TURN work (Allocate with the long-term credential, Refresh before the
allocation's lifetime ends, ChannelBind per peer, which also installs the permission, and
send/data over the channel); the relay's socket is the client's own, to the TURN server only,
so it is the same with or without the UDP mux (VOICEPOD_RTC_UDP_PORT): the mux carries the host
candidates, the relay's datagrams come and go on that one extra socket.

aioice's own gathering drops a failed allocation without a word; `add_relay` says why (a refused
credential, an unreachable server) and the call goes on with its other candidates.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aioice
import structlog
from aioice import stun
from aioice.ice import StunProtocol, relayed_candidate

from gateway.rtc.ice_gather import GatherError
from gateway.rtc.ice_servers import TurnUrl

log = structlog.get_logger("gateway.rtc")
ALLOCATE_TIMEOUT = 5.0  # aioice's own gathering waits this long for its servers


@dataclass(frozen=True)
class TurnAllocation:
    """Where to allocate and with which credential (minted for this call, or static)."""

    server: TurnUrl
    username: str
    password: str = field(repr=False)


async def add_relay(connection: aioice.Connection, turn: TurnAllocation, timeout: float = ALLOCATE_TIMEOUT) -> bool:
    """Allocate a relay for component 1 and add its candidate to `connection`'s local ones
    (after its other gathering). False, with the reason logged, if the server refused or did not answer."""
    server = turn.server
    try:
        async with asyncio.timeout(timeout):
            candidate, protocol = await relayed_candidate(
                component=1, hide_related_address=False, protocol_factory=lambda: StunProtocol(connection),
                turn_server=(server.host, server.port), turn_username=turn.username, turn_password=turn.password,
                turn_ssl=server.secure, turn_transport=server.transport,
            )  # fmt: skip
    except TimeoutError:
        log.warning("turn_allocation_failed", server=f"{server.host}:{server.port}", username=turn.username,
                    reason=f"no answer within {timeout:g} s")  # fmt: skip
        return False
    except (OSError, ConnectionError, stun.TransactionError) as e:  # refused credential, unreachable
        log.warning("turn_allocation_failed", server=f"{server.host}:{server.port}", username=turn.username,
                    reason=str(e) or type(e).__name__)  # fmt: skip
        return False
    connection._protocols.append(protocol)
    connection._local_candidates.append(candidate)
    log.debug("turn_allocated", server=f"{server.host}:{server.port}", relay=f"{candidate.host}:{candidate.port}")
    return True


async def gather_relay_only(connection: aioice.Connection, turn: TurnAllocation | None) -> None:
    """`VOICEPOD_ICE_RELAY_ONLY`: the relay is the only local candidate (GatherError without one)."""
    connection._local_candidates_start = True  # aioice's own gathering would bind host sockets
    if turn is None:
        raise GatherError("VOICEPOD_ICE_RELAY_ONLY needs a TURN server in VOICEPOD_ICE_SERVERS")
    if not await add_relay(connection, turn):
        raise GatherError("relay only, and the TURN server gave no relay (the reason is logged)")
    connection._local_candidates_end = True
