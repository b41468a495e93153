"""The lean receive path's reorder buffer: in-order packets go straight out, reordering within
`depth` is undone, losses come out as one None each, and nothing is amplified or delayed for long."""

from __future__ import annotations

import random

from gateway.rtc.reorder import ReorderBuffer


def _run(buffer: ReorderBuffer[int], sequences: list[int]) -> list[int | None]:
    return [item for s in sequences for item in buffer.push(s % 65_536, s)]


def test_in_order_packets_go_out_at_once() -> None:
    buffer: ReorderBuffer[int] = ReorderBuffer()
    for s in range(10):
        assert list(buffer.push(s, s)) == [s]


def test_reordering_within_depth_is_undone() -> None:
    out = _run(ReorderBuffer(depth=3), [0, 1, 3, 2, 4, 6, 5, 7])
    assert out == [0, 1, 2, 3, 4, 5, 6, 7]


def test_a_lost_packet_is_one_none_after_depth_more_arrive() -> None:
    buffer: ReorderBuffer[int] = ReorderBuffer(depth=3)
    assert _run(buffer, [0, 1]) == [0, 1]
    assert _run(buffer, [3, 4, 5]) == []  # waiting for 2, at most 3 packets (60 ms)
    assert _run(buffer, [6]) == [None, 3, 4, 5, 6]
    assert _run(buffer, [2]) == [] and buffer.late == 1  # too late: its slot was concealed
    assert buffer.lost == 1


def test_five_percent_random_loss_with_jitter_loses_exactly_what_the_network_lost() -> None:
    rng = random.Random(5)
    sent = list(range(65_000, 65_000 + 5_000))  # wraps the 16-bit sequence on the way
    kept = [s for s in sent if rng.random() >= 0.05]
    arrivals = sorted(kept, key=lambda s: s + rng.uniform(0, 2.5))  # up to 2.5 packets of reordering
    buffer: ReorderBuffer[int] = ReorderBuffer(depth=3)
    out = _run(buffer, arrivals)
    delivered = [x for x in out if x is not None]
    assert delivered == kept  # every packet that arrived, in order
    assert buffer.lost == len(sent) - len(kept) - (sent[-1] - max(delivered))  # all gaps but a trailing one
    assert len(out) == len(delivered) + buffer.lost and buffer.late == 0  # one slot per 20 ms: timeline whole


def test_a_sender_that_restarts_its_sequence_is_followed() -> None:
    for restart in (40_000, 20_000, 90):  # far ahead, far "behind", just behind MAX_MISORDER
        buffer: ReorderBuffer[int] = ReorderBuffer()
        assert _run(buffer, [200, 201, restart, restart + 1]) == [200, 201, restart, restart + 1]
        assert buffer.lost == 0


def test_an_outage_of_seconds_is_counted_but_not_concealed_packet_by_packet() -> None:
    buffer: ReorderBuffer[int] = ReorderBuffer()
    out = _run(buffer, [0, 1, 2, 503, 504])  # 10 s of packets lost in the network
    assert out == [0, 1, 2, 503, 504] and buffer.lost == 500
