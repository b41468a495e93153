"""Test calls keep their media on 127.0.0.1: the gateway (VOICEPOD_ICE_ADDRESSES=127.0.0.1 in
tests/integration/gateway_helpers.py) and the caller (`ice_addresses`, `voicepod call --ice-address`)
gather there only, so no check or packet of a test leaves by the machine's other interfaces."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NATS

from caller.client import dial
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.settings import MEDIA_STACKS
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway


def _addresses(sdp: str) -> set[str]:
    """Every address the description names: its candidates (and their related addresses) and c= lines."""
    found = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            bits = line.split()
            found.add(bits[4])
            if "raddr" in bits:
                found.add(bits[bits.index("raddr") + 1])
        elif line.startswith("c=IN "):
            found.add(line.split()[2])
    return found


def _nominated(link: object) -> tuple[tuple[str, int], tuple[str, int]]:
    """The connected pair's (local, remote) addresses, whichever stack carries the call."""
    if hasattr(link, "_endpoint"):  # lean
        connection = link._endpoint._ice
    else:  # aiortc
        connection = link._pc.getTransceivers()[0].receiver.transport.transport._connection  # type: ignore[attr-defined]
    pair = connection._nominated[1]
    return (pair.protocol.transport.get_extra_info("sockname")[0], pair.local_candidate.port), pair.remote_addr


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_a_test_calls_candidates_are_loopback_only_on_both_sides(nc: NATS, stack: str) -> None:
    async with gateway(nc, media_stack=stack) as gw:
        token = auth.mint(SECRET, ttl_seconds=60)
        async with dial(gw.ws_url, ScriptedMicrophone(), token=token, ice_addresses=CALLER_ICE) as call:
            (live,) = gw.state.calls.all()
            local, remote = _nominated(live.link)
        offer, answer = call.result.offer, call.result.answer
    # The caller's candidates (the offer) and the gateway's (the answer): 127.0.0.1 and nothing else
    # (a c= line of 0.0.0.0 is aiortc's placeholder before it has gathered, never an address used).
    assert "a=candidate:" in offer and "a=candidate:" in answer
    assert _addresses(offer) - {"0.0.0.0"} == {"127.0.0.1"}
    assert _addresses(answer) - {"0.0.0.0"} == {"127.0.0.1"}
    # And the pair the media flowed on.
    assert local[0] == "127.0.0.1" and remote[0] == "127.0.0.1"
