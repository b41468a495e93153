"""ICE restart on our endpoint (RFC 8445 9, RFC 8839 4.4.1.1.1), a part of `AudioEndpoint`.

A caller whose network changed re-offers with new ICE credentials (`restart`; the offering side:
`restart_offer`, then `accept_restart`). A new ICE connection gathers and checks beside the old
one, which carries the media until the new one has its pair; then the media moves over and the old
one closes. DTLS and SRTP are not renegotiated (RFC 8842 4: an ICE restart alone does not change
the DTLS association), so the re-offer must name the same certificate, and we keep our DTLS role.

A mixin rather than an object of its own: it moves the endpoint's own state (its ICE connection,
candidate policy, receiver task), and a helper holding the endpoint would be a reference cycle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aioice
import structlog

from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.ice_guard import GuardedConnection
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.sdp import Description, LocalTransport, SdpError, build_answer, build_offer, parse_description
from gateway.rtc.udp_mux import pin_selected

log = structlog.get_logger("gateway.rtc")
CONNECT_TIMEOUT = 20.0  # ICE and DTLS together; a browser on a working network needs well under 1 s
CLOSED = object()  # queued when the media ends


class IceRoute:
    """Where DTLS records go: the ICE connection that carries the media now (an ICE restart moves it)."""

    def __init__(self, ice: aioice.Connection) -> None:
        self.ice = ice

    async def send(self, data: bytes) -> None:
        await self.ice.send(data)


class IceRestarts:
    """The restart half of `AudioEndpoint` (gateway/rtc/endpoint.py), which sets these in its __init__."""

    _ice: GuardedConnection  # the connection that carries the media
    _route: IceRoute
    _next: tuple[GuardedConnection, CandidatePolicy] | None  # a restart under way: its connection and policy
    _switching: asyncio.Task[None] | None  # the task that moves over to it
    _receiver: asyncio.Task[None] | None
    _tasks: list[asyncio.Task[Any]]
    _dtls: DtlsSrtp | None
    _peer: Description | None
    _ice_options: IceOptions
    _on_candidate_refused: Callable[[str], None] | None
    _on_data: Callable[[bytes], Awaitable[None]] | None
    _earlier_drops: dict[str, int]  # the ICE guards' counts of connections restarted away from
    candidates: CandidatePolicy
    restarts: int
    restarts_failed: int
    last_media: float
    closed: bool

    # What the endpoint itself provides.
    def _new_ice(self) -> GuardedConnection:
        raise NotImplementedError

    async def _local_transport(self, ice: GuardedConnection | None = None) -> LocalTransport:
        raise NotImplementedError

    async def add_candidate(self, candidate: str | None) -> None:
        raise NotImplementedError

    async def _receive(self, ice: GuardedConnection) -> None:
        raise NotImplementedError

    def _put(self, item: object) -> None:
        raise NotImplementedError

    async def restart(self, offer_sdp: str, timeout: float = CONNECT_TIMEOUT) -> str:
        """The peer's re-offer with new ICE credentials, mid-call: our answer with new ones of our
        own. The media moves to the new path once ICE finds it (`restarts` counts it; within
        `timeout` seconds, else `restarts_failed`). SdpError if it cannot be: not connected yet, the
        same credentials (no restart), another certificate (another DTLS association: a new call)."""
        ice, _ = self._begin_restart()
        try:
            remote = await self._take_restart(offer_sdp, ice)
            answer = build_answer(remote, await self._local_transport(ice))
        except BaseException:
            await self._abandon_restart(ice)
            raise
        self._switch_soon(ice, timeout)
        return answer

    async def restart_offer(self) -> str:
        """The offering side's ICE restart: an offer with new credentials, from new sockets (no mux)."""
        ice, _ = self._begin_restart()
        return build_offer(await self._local_transport(ice))

    async def accept_restart(self, answer_sdp: str) -> None:
        """The peer's answer to `restart_offer`: ICE checks start, the media moves over when they succeed."""
        assert self._next is not None, "restart_offer() first"
        ice = self._next[0]
        try:
            await self._take_restart(answer_sdp, ice)
        except BaseException:
            await self._abandon_restart(ice)
            raise
        self._switch_soon(ice)

    def _begin_restart(self) -> tuple[GuardedConnection, CandidatePolicy]:
        if self._dtls is None or not self._dtls.established or self.closed:
            raise SdpError("an ICE restart needs a connected call (send candidates for the first offer instead)")
        if self._switching is not None:  # a restart superseded by another: the newer credentials win
            self._switching.cancel()
        elif self._next is not None:
            self._tasks.append(asyncio.create_task(self._next[0].close()))
        self._next = (self._new_ice(), CandidatePolicy(self._ice_options, self._on_candidate_refused))
        return self._next

    async def _take_restart(self, sdp: str, ice: GuardedConnection) -> Description:
        assert self._peer is not None
        remote = parse_description(sdp, data=self._on_data is not None)
        _ = remote.audio
        if remote.fingerprint != self._peer.fingerprint:
            raise SdpError("the re-offer names another DTLS certificate: that is a new call, not an ICE restart")
        if (remote.ice_ufrag, remote.ice_pwd) == (self._ice.remote_username, self._ice.remote_password):
            raise SdpError("the re-offer keeps its ICE credentials: only an ICE restart is taken mid-call")
        remote = dataclasses.replace(remote, setup=self._peer.setup)  # our DTLS role stays (RFC 8842 4)
        ice.remote_username, ice.remote_password = remote.ice_ufrag, remote.ice_pwd
        for c in remote.candidates:
            await self.add_candidate(c)
        if remote.end_of_candidates:
            await self.add_candidate(None)
        self.last_media = time.monotonic()  # the new path gets the whole inactivity window to connect
        return remote

    def _switch_soon(self, ice: GuardedConnection, timeout: float = CONNECT_TIMEOUT) -> None:
        self._switching = asyncio.create_task(self._switch(ice, timeout))
        self._tasks.append(self._switching)

    async def _switch(self, ice: GuardedConnection, timeout: float) -> None:
        """Connect the restart's ICE; then its path carries the media, and the old connection closes."""
        switched = False
        try:
            async with asyncio.timeout(timeout):
                await ice.connect()
            assert self._next is not None and self._next[0] is ice
            old, (self._ice, self.candidates) = self._ice, self._next
            self._route.ice = ice
            self.candidates.connected = True
            self._next, self._switching = None, None
            for reason, n in old.guard.dropped.items():
                self._earlier_drops[reason] = self._earlier_drops.get(reason, 0) + n
            self._receiver = asyncio.create_task(self._receive(ice))
            self._tasks.append(self._receiver)
            self.restarts += 1
            switched = True
            log.info("ice_restarted", restarts=self.restarts)
            await old.close()
            await pin_selected(ice)  # after the old path's socket to the same caller is gone
        except (ConnectionError, TimeoutError) as e:
            self.restarts_failed += 1
            log.info("ice_restart_failed", error=str(e) or type(e).__name__)
        finally:
            if not switched:
                await self._abandon_restart(ice)

    async def _abandon_restart(self, ice: GuardedConnection) -> None:
        if self._next is not None and self._next[0] is ice:
            self._next, self._switching = None, None
            if self._receiver is not None and self._receiver.done():
                self._put(CLOSED)  # the old path died while the restart was tried: the media has ended
        await ice.close()
