"""Our host candidates on the addresses the operator chose, written with the address it advertises.

aioice's `Connection.gather_candidates` binds a socket on every address of every interface (the
module function `get_host_addresses`, loopback excluded), so a gateway's candidates disclose
docker0, cni0 and the like and its checks leave by all of them. `gather` does the same work on the
chosen addresses only, per connection: nothing process-wide is patched, so calls (and tests) with
other choices are not affected. Both stacks use it: the lean endpoint on its own connection,
the aiortc link on each of its peer connection's ICE gatherers before aiortc gathers (aiortc's
own gathering then finds the work done).

NAT 1:1 (`advertise`): the candidate's written address changes, the address its socket is bound
to and pairs by (aioice's `_network_host`) does not.

With a UDP mux (gateway/rtc/udp_mux.py, VOICEPOD_RTC_UDP_PORT) nothing is bound per call: the
connection gets one host candidate per shared socket, on the mux's port, and no server-reflexive
one (a STUN server's answers carry no ufrag to route them by; VOICEPOD_ICE_ADVERTISE says what
address callers reach instead).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import aioice
import ifaddr
from aioice.candidate import candidate_foundation, candidate_priority
from aioice.ice import StunProtocol
from aioice.utils import random_string

from gateway.rtc.ice_options import IceOptions
from gateway.rtc.udp_mux import UdpMux


class GatherError(ConnectionError):
    pass


def local_addresses(choices: Sequence[str], *, ipv6: bool) -> list[str]:
    """The addresses `choices` names: IPs as given, interface names as their addresses (IPv6
    link-local ones left out, as aioice does). Raises GatherError for a name that is no interface."""
    adapters: list[ifaddr.Adapter] = []
    found: list[str] = []
    for choice in (c.strip() for c in choices):
        try:
            ip = ipaddress.ip_address(choice)
        except ValueError:
            adapters = adapters or list(ifaddr.get_adapters())
            adapter = next((a for a in adapters if choice in (a.name, a.nice_name)), None)
            if adapter is None:
                names = ", ".join(a.nice_name for a in adapters)
                raise GatherError(f"VOICEPOD_ICE_ADDRESSES: {choice!r} is neither an IP nor an interface here "
                                  f"({names})") from None  # fmt: skip
            for a in adapter.ips:
                if isinstance(a.ip, str):
                    found.append(a.ip)
                elif ipv6 and a.ip[2] == 0:  # (address, flowinfo, scope id): scoped = link-local
                    found.append(a.ip[0])
            continue
        if ip.version == 4 or ipv6:
            found.append(str(ip))
    return list(dict.fromkeys(found))


def mux_addresses(options: IceOptions) -> list[str]:
    """The local addresses a UDP mux binds: those VOICEPOD_ICE_ADDRESSES names, else every
    interface's IPv4 address (aioice's choice, loopback excluded). GatherError if none."""
    if options.addresses:
        found = local_addresses(options.addresses, ipv6=False)
    else:
        found = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    if not found:
        raise GatherError("no IPv4 address to bind the UDP mux on (VOICEPOD_ICE_ADDRESSES)")
    return found


async def gather(connection: aioice.Connection, options: IceOptions, *, ipv6: bool, mux: UdpMux | None = None,
                 owner: object = None) -> None:  # fmt: skip
    """Gather `connection`'s local candidates as `options` say (before anything else gathers
    them): on `mux`'s shared sockets when there is one (`owner`: the call, the same across its
    ICE restarts); with no addresses chosen, aioice's own gathering (every interface)."""
    if mux is not None:
        _gather_on_mux(connection, mux, owner)
    elif options.addresses:
        await _gather_on(connection, local_addresses(options.addresses, ipv6=ipv6))
    else:
        await connection.gather_candidates()
    if options.advertise is not None:
        _advertise(connection, options.advertise)


async def _gather_on(connection: aioice.Connection, addresses: list[str]) -> None:
    if not addresses:
        raise GatherError("VOICEPOD_ICE_ADDRESSES names no address this media stack can use (IPv4 only on lean)")
    # What Connection.gather_candidates does after picking its addresses (aioice 0.13; a test of
    # each stack's gathered set would notice if these attributes changed).
    if all(ipaddress.ip_address(a).is_loopback for a in addresses):
        connection.stun_server = None  # unreachable from a loopback socket: not even looked up
    connection._local_candidates_start = True
    candidates = []
    for component in sorted(connection._components):
        candidates += await connection.get_component_candidates(component=component, addresses=addresses)
    if not any(c.type == "host" for c in candidates):
        raise GatherError(f"could not bind a UDP socket on any of {', '.join(addresses)} (VOICEPOD_ICE_ADDRESSES)")
    connection._local_candidates += candidates
    connection._local_candidates_end = True


MAX_UFRAG_DRAWS = 16  # 62^4 ufrags: a draw that is taken by a live call is rare, sixteen in a row never


def _gather_on_mux(connection: aioice.Connection, mux: UdpMux, owner: object) -> None:
    # The ufrag is what the mux routes binding requests by: it must be no other live call's.
    for _ in range(MAX_UFRAG_DRAWS):
        if not mux.has_ufrag(connection.local_username):
            break
        connection._local_username = random_string(4)
    else:
        raise GatherError("could not draw an ICE ufrag that no live call holds")
    if connection._components != {1}:
        raise GatherError("the UDP mux carries one ICE component per call (RTP and RTCP muxed)")
    connection._local_candidates_start = True
    candidates = []
    for socket in mux.sockets:
        protocol = StunProtocol(connection)
        socket.attach(connection.local_username, protocol, owner)
        host, port = socket.local
        protocol.local_candidate = aioice.Candidate(
            foundation=candidate_foundation("host", "udp", host), component=1, transport="udp",
            priority=candidate_priority(1, "host"), host=host, port=port, type="host",
        )  # fmt: skip
        connection._protocols.append(protocol)
        candidates.append(protocol.local_candidate)
    connection._local_candidates += candidates
    connection._local_candidates_end = True


def _advertise(connection: aioice.Connection, public: str) -> None:
    """Write `public` into the host candidates of its IP family; a reflexive candidate's related
    address (the private one) is hidden behind it too."""
    version = ipaddress.ip_address(public).version
    for candidate in connection.local_candidates:  # the connection's own objects, in a new list
        if candidate.type == "host" and ipaddress.ip_address(candidate.host).version == version:
            candidate.host = public  # _network_host keeps the bound address: pairing is unchanged
        elif (
            candidate.related_address is not None and ipaddress.ip_address(candidate.related_address).version == version
        ):
            candidate.related_address = public
