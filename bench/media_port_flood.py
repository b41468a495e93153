"""Probe: what a stranger's flood before ICE costs the gateway's endpoint (figure in docs/reliability.md).

    python -m bench.media_port_flood [--datagrams 50000] [--size 1024]

One call between two of our endpoints on 127.0.0.1 (nothing leaves the loopback interface):
the gateway side answers, then a socket that never did ICE sends `--datagrams` datagrams of
`--size` bytes (RTP-looking) to its port before ICE starts, paced so that the kernel's socket
buffer never overflows (every datagram reaches the process). Prints the RSS growth, how many
datagrams wait in aioice's queue and how many were dropped, then connects the call and checks
that media flows both ways. Bounded: a fixed count, a 120 s ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import struct
import time

from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_options import LOOPBACK


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _seen(endpoint: AudioEndpoint) -> int:
    """Datagrams the endpoint's ICE connection has taken off its socket: queued, or dropped by the guard."""
    guard = getattr(endpoint._ice, "guard", None)  # absent on code before the guard: all are queued
    return endpoint._ice._queue.qsize() + (sum(guard.dropped.values()) if guard else 0)


async def flood(datagrams: int, size: int) -> dict[str, object]:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)  # loopback only
    await caller.accept(await gateway.answer(await caller.offer()))
    port = gateway._ice.local_candidates[0].port
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    datagram = struct.pack("!BBHII", 0x80, 111, 1, 960, 0x1234) + os.urandom(size - 12)
    gc.collect()
    before = _rss_mb()
    started = time.monotonic()
    async with asyncio.timeout(120):
        sent = 0
        while sent < datagrams:
            batch = min(100, datagrams - sent)
            for _ in range(batch):
                sock.sendto(datagram, ("127.0.0.1", port))
            sent += batch
            while _seen(gateway) < sent:  # noqa: ASYNC110 (a socket read has no event to wait on)
                await asyncio.sleep(0.001)  # let the event loop read them
    gc.collect()
    after = _rss_mb()
    flood_seconds = time.monotonic() - started
    queued = gateway._ice._queue.qsize()
    guard = getattr(gateway._ice, "guard", None)
    try:
        await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 10)
        await caller.send(b"up")
        await gateway.send(b"down")
        up, down = await asyncio.wait_for(gateway.recv(), 5), await asyncio.wait_for(caller.recv(), 5)
        media = "flows both ways" if up and up.payload == b"up" and down and down.payload == b"down" else "wrong"
    except (ConnectionError, TimeoutError) as e:
        media = f"failed: {e}"
    finally:
        sock.close()
        await caller.close()
        await gateway.close()
    return {
        "datagrams": datagrams,
        "size": size,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_growth_mb": round(after - before, 1),
        "queued": queued,
        "dropped": dict(guard.dropped) if guard else None,
        "flood_seconds": round(flood_seconds, 2),
        "then": media,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datagrams", type=int, default=50_000)
    p.add_argument("--size", type=int, default=1024)
    args = p.parse_args()
    print(json.dumps(asyncio.run(flood(args.datagrams, args.size)), indent=2))


if __name__ == "__main__":
    main()
