"""Which local addresses a call's ICE gathers on, which address it advertises, and which remote
candidates it accepts: the VOICEPOD_ICE_* settings as one value both media stacks take.

No aioice here: gateway/settings.py builds this from the environment, gateway/rtc/ice_gather.py
and gateway/rtc/candidate_policy.py apply it (docs/reliability.md, "ICE candidates and addresses").
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_CANDIDATES = 100  # a browser sends a handful; an offer may carry ~1,000 and each add re-sorts


@dataclass(frozen=True)
class IceOptions:
    # Local IPs and/or interface names to gather host candidates on; empty: every interface (aioice's
    # choice, loopback excluded). Also what keeps docker0/cni0 addresses out of our candidates.
    addresses: tuple[str, ...] = ()
    # NAT 1:1: the public address written into our host candidates and the c= line instead of the
    # private address the socket is bound to (Pion's SetNAT1To1IPs, LiveKit's external IP).
    advertise: str | None = None
    # Accept remote candidates on loopback addresses (local development and tests only).
    allow_loopback: bool = False
    # Remote candidates taken per call (offer and trickle together); the rest are ignored and counted.
    max_candidates: int = MAX_CANDIDATES
    # Offer callers our TURN relay candidate only (WebRTC's iceTransportPolicy "relay"): the
    # gateway's own addresses stay private, every call goes through the TURN server.
    relay_only: bool = False

    def __post_init__(self) -> None:
        if self.max_candidates < 1:
            raise ValueError(f"VOICEPOD_ICE_MAX_CANDIDATES must be at least 1, not {self.max_candidates}")
        if any(not a.strip() for a in self.addresses):
            raise ValueError("VOICEPOD_ICE_ADDRESSES has an empty entry")
        if self.advertise is not None:
            try:
                ip = ipaddress.ip_address(self.advertise)
            except ValueError:
                raise ValueError(f"VOICEPOD_ICE_ADVERTISE must be an IP address, not {self.advertise!r}") from None
            if ip.is_unspecified or ip.is_multicast:
                raise ValueError(f"VOICEPOD_ICE_ADVERTISE cannot be {self.advertise} (unspecified or multicast)")


# Tests, benchmarks and evals: media on 127.0.0.1 only, never on the machine's other interfaces.
LOOPBACK = IceOptions(addresses=("127.0.0.1",), allow_loopback=True)
