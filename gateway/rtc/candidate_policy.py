"""Which of a caller's ICE candidates we probe: one call's remote candidate policy.

Every remote candidate is a place our ICE agent sends STUN checks to, so a caller's offer must not
turn the gateway into a prober of its own host (loopback), its cloud's metadata service or the
link-local network, and must not cost unbounded work (each candidate added re-sorts the check
list). Both media stacks ask `admit` before a candidate reaches aioice; a refused candidate is
skipped silently and counted by reason, so the call itself goes on with the others.

mDNS names (`<uuid>.local`) are refused too: browsers use them to hide a host address from
pages without media permission, and a pod cannot resolve them (multicast DNS does not cross its
network). The caller's own checks to our candidates still reach us, so a caller behind such a name
is learned as peer-reflexive and connects all the same.
"""

from __future__ import annotations

import collections
import ipaddress
from collections.abc import Callable

from aioice import Candidate

from gateway.rtc.ice_options import IceOptions

# Cloud metadata and host services reached at a fixed address (AWS IMDS, ECS, time and DNS; GCP and
# Azure IMDS; Azure WireServer; Alibaba; Oracle). Most are link-local and refused as such anyway.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "169.254.169.123", "169.254.169.253", "fd00:ec2::254",
              "fd00:ec2::253", "fd00:ec2::123", "168.63.129.16", "100.100.100.200", "192.0.0.192")
)  # fmt: skip
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # an IPv4 address in IPv6 clothing (RFC 6052)

# The reasons a remote candidate is not used; also the label values of the refusal counter.
REASONS = ("over_limit", "loopback", "link_local", "multicast", "unspecified", "metadata", "reserved", "mdns",
           "not_an_address", "bad_port", "after_connected", "after_end")  # fmt: skip


def address_refusal(host: str, allow_loopback: bool = False) -> str | None:
    """Why a candidate naming `host` must not be probed, or None if it may."""
    if host.lower().rstrip(".").endswith(".local"):
        return "mdns"
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        return "not_an_address"  # a DNS name: never looked up on a caller's behalf
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
            ip = ip.ipv4_mapped
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in METADATA:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved or ip == ipaddress.IPv4Address("255.255.255.255"):
        return "reserved"
    return None


class CandidatePolicy:
    """One call's remote candidates: at most `max_candidates` distinct ones, none of a refused
    address class, none after end-of-candidates or once ICE has connected."""

    def __init__(self, options: IceOptions, on_refused: Callable[[str], None] | None = None) -> None:
        self._options = options
        self._on_refused = on_refused
        self._accepted: set[tuple[int, str, str, int]] = set()
        self.refused: collections.Counter[str] = collections.Counter()
        self.ended = False  # the peer said end-of-candidates
        self.connected = False  # ICE found its pair: later candidates change nothing

    @property
    def accepted(self) -> int:
        return len(self._accepted)

    def admit(self, candidate: Candidate) -> bool:
        """Whether `candidate` may be handed to the ICE agent; a refusal is counted."""
        reason = self._refusal(candidate)
        if reason is None:
            return True
        self.refused[reason] += 1
        if self._on_refused is not None:
            self._on_refused(reason)
        return False

    def end(self) -> bool:
        """End-of-candidates; True the first time (then the ICE agent is told), False after."""
        first, self.ended = not self.ended, True
        return first

    def nothing_usable(self) -> str | None:
        """After end-of-candidates with not one candidate taken: why, for the caller's error."""
        if not self.ended or self._accepted:
            return None
        if not self.refused:
            return "no ICE candidate given"
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.refused.items()))
        return f"no usable ICE candidate: {sum(self.refused.values())} refused ({reasons})"

    def _refusal(self, candidate: Candidate) -> str | None:
        if self.connected:
            return "after_connected"
        if self.ended:
            return "after_end"
        reason = address_refusal(candidate.host, self._options.allow_loopback)
        if reason is not None:
            return reason
        if not 0 < candidate.port < 65536:
            return "bad_port"
        key = (candidate.component, candidate.transport.lower(), candidate.host, candidate.port)
        if key in self._accepted:
            return None  # the same candidate again (a second section): the ICE agent drops it, no cost
        if len(self._accepted) >= self._options.max_candidates:
            return "over_limit"
        self._accepted.add(key)
        return None
