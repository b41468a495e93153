"""A lossy, jittery path between the caller and the gateway, to try a call on a bad link.

Kernel netem (`tc qdisc … netem`) is not available everywhere (containers, CI kernels without
sch_netem), so the caller impairs its own packets: an `ImpairedPath` is a UDP relay that sits
between the caller's peer connection and the gateway like a NAT. The SDP each side receives
carries one candidate, the relay socket facing it, so ICE, DTLS and media all go through the
relay, and each side only ever sees the one address it was told about (aioice checks that a
STUN response comes from the address it asked). The relay drops and delays the caller's media.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

Address = tuple[str, int]

# The candidate that replaces a side's own: a host candidate with the usual host priority
# (type preference 126, local preference 65535, component 1), so any ICE agent takes it as is.
FOUNDATION, HOST_PRIORITY = "impaired", 2_130_706_431


@dataclass(frozen=True)
class Impairment:
    """What happens to the caller's media packets: a `loss` fraction (0..1) is dropped, and the
    rest are each delayed by a random time uniform in [0, 2 * jitter_seconds] (mean: the jitter),
    so they also arrive out of order, as on a real bad link. A `seed` makes it repeatable."""

    loss: float = 0.0
    jitter_seconds: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss is a fraction in 0..1, not {self.loss}")
        if self.jitter_seconds < 0:
            raise ValueError(f"jitter_seconds must not be negative, not {self.jitter_seconds}")


class ImpairedPath:
    """The relay for one call: `rewrite_offer` (opens it), `rewrite_answer`, then `close`.
    The counters can be read at any time, also after close()."""

    def __init__(self, impairment: Impairment) -> None:
        self.impairment = impairment
        self.media_packets = 0  # RTP/RTCP packets from the caller
        self.dropped = 0
        self.delayed = 0
        self.forwarded = 0  # packets passed on, both ways (STUN, DTLS, SCTP, media)
        self._random = random.Random(impairment.seed)
        self._caller: Address | None = None  # the caller's real candidate (from the offer)
        self._gateway: Address | None = None  # the gateway's real candidate (from the answer)
        self._facing_caller: asyncio.DatagramTransport | None = None
        self._facing_gateway: asyncio.DatagramTransport | None = None
        self._closed = False

    async def rewrite_offer(self, offer_sdp: str) -> str:
        """Open the relay for the caller's offer; return the offer to send to the gateway."""
        self._caller = host_candidate(offer_sdp)
        self._facing_caller = await _bind("127.0.0.1", self._from_caller)
        # On the caller's own interface, so a gateway on another machine can reach it too.
        self._facing_gateway = await _bind(self._caller[0], self._from_gateway)
        return with_one_candidate(offer_sdp, _address(self._facing_gateway))

    def rewrite_answer(self, answer_sdp: str) -> str:
        """Learn the gateway's address from its answer; return the answer to give the caller."""
        if self._facing_caller is None:
            raise RuntimeError("rewrite_offer() opens the path first")
        if answer_sdp.count("\nm=") > 1 and "a=group:BUNDLE" not in answer_sdp:
            raise ValueError("the relay carries one transport: the answer must BUNDLE its media")
        self._gateway = host_candidate(answer_sdp)
        return with_one_candidate(answer_sdp, _address(self._facing_caller))

    def close(self) -> None:
        self._closed = True  # a packet still being delayed is lost with the path
        for transport in (self._facing_caller, self._facing_gateway):
            if transport is not None:
                transport.close()

    def describe(self) -> str:
        share = self.dropped / self.media_packets if self.media_packets else 0.0
        return (f"{self.media_packets} media packets from the caller, {self.dropped} dropped ({share:.1%}), "
                f"{self.delayed} delayed; {self.forwarded} packets forwarded in all")  # fmt: skip

    def _from_caller(self, data: bytes) -> None:
        # RFC 7983 demultiplexing: a first byte in 128..191 is RTP or RTCP, the media. STUN (0..3)
        # and DTLS (20..63, which also carries the data channel's SCTP) pass untouched, so the call
        # is set up reliably and the events channel is intact: only the media path is impaired.
        if not data or not 128 <= data[0] <= 191:
            self._to_gateway(data)
            return
        self.media_packets += 1
        if self._random.random() < self.impairment.loss:
            self.dropped += 1
            return
        if self.impairment.jitter_seconds <= 0:
            self._to_gateway(data)
            return
        # Each packet waits on its own, so a later one can overtake it: reordering, as on a real link.
        delay = self._random.uniform(0.0, 2 * self.impairment.jitter_seconds)
        self.delayed += 1
        asyncio.get_running_loop().call_later(delay, self._to_gateway, data)

    def _from_gateway(self, data: bytes) -> None:
        self._send(self._facing_caller, data, self._caller)

    def _to_gateway(self, data: bytes) -> None:
        self._send(self._facing_gateway, data, self._gateway)

    def _send(self, transport: asyncio.DatagramTransport | None, data: bytes, to: Address | None) -> None:
        if self._closed or transport is None or to is None:
            return  # not open yet (the peer's STUN retransmits) or already closed
        transport.sendto(data, to)
        self.forwarded += 1


def host_candidate(sdp: str) -> Address:
    """The first IPv4 UDP host candidate in `sdp`: where a direct path would go. aiortc lists
    the first media section first, and its transport carries the whole call once BUNDLEd."""
    for line in sdp.splitlines():
        if not line.startswith("a=candidate:"):
            continue
        # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …
        bits = line.removeprefix("a=candidate:").split()
        if len(bits) >= 8 and bits[2].lower() == "udp" and bits[6:8] == ["typ", "host"] and _is_ipv4(bits[4]):
            return bits[4], int(bits[5])
    raise ValueError("the SDP has no IPv4 UDP host candidate")


def with_one_candidate(sdp: str, address: Address) -> str:
    """`sdp` with each media section's candidates replaced by one host candidate at `address`;
    the section's default address (its c= line and m= port) points there too, for consistency:
    aiortc itself reads only the candidates. Every other line is kept as it was."""
    eol = "\r\n" if "\r\n" in sdp else "\n"
    sections: list[list[str]] = [[]]
    for line in sdp.split(eol):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    session, media = sections[0], sections[1:]
    return eol.join(session + [line for section in media for line in _one_candidate(section, address)])


def _one_candidate(section: list[str], address: Address) -> list[str]:
    if not any(line.startswith("a=candidate:") for line in section):
        return section  # no transport of its own (a rejected or bundle-only section)
    ip, port = address
    out: list[str] = []
    for line in section:
        if line.startswith("a=candidate:"):
            if any(kept.startswith("a=candidate:") for kept in out):
                continue  # the one candidate takes the place of the first
            line = f"a=candidate:{FOUNDATION} 1 udp {HOST_PRIORITY} {ip} {port} typ host"
        elif line.startswith("m="):
            kind, _, rest = line.split(" ", 2)
            line = f"{kind} {port} {rest}"
        elif line.startswith("c="):
            line = f"c=IN IP4 {ip}"
        out.append(line)
    return out


def _is_ipv4(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 4
    except ValueError:  # an mDNS name (….local) or garbage
        return False


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, receive: Callable[[bytes], None]) -> None:
        self._receive = receive

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._receive(data)


async def _bind(ip: str, receive: Callable[[bytes], None]) -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(receive), local_addr=(ip, 0))
    return transport


def _address(transport: asyncio.DatagramTransport) -> Address:
    host, port = cast(tuple[str, int], transport.get_extra_info("sockname")[:2])
    return host, port
