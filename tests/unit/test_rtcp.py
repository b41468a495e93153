"""RTCP reports of our WebRTC endpoint: reception statistics (RFC 3550 A.1/A.3/A.8), SR/RR on the
wire, and the round-trip time from an echoed sender report."""

from __future__ import annotations

import pytest

from gateway.rtc import rtcp


def test_loss_and_sequence_wrap_are_counted() -> None:
    stats = rtcp.ReceptionStats(ssrc=7, clock_rate=48_000)
    sequences = [65_530 + i for i in range(6)] + [0, 1, 3, 4, 5]  # wraps, then 2 goes missing
    for n, seq in enumerate(s % 65_536 for s in sequences):
        stats.add(seq, n * 960, n * 0.020)
    assert stats.expected == 12 and stats.received == 11 and stats.lost == 1
    assert stats.extended_highest == 65_536 + 5
    block = stats.block(lsr=0, dlsr=0)
    assert block.fraction_lost == pytest.approx(1 / 12) and block.packets_lost == 1
    stats.add(6, 12 * 960, 12 * 0.020)
    assert stats.block(0, 0).fraction_lost == 0.0  # the next interval lost nothing


def test_jitter_follows_uneven_arrival_and_is_zero_for_even() -> None:
    even, uneven = rtcp.ReceptionStats(1, 48_000), rtcp.ReceptionStats(1, 48_000)
    for n in range(200):
        even.add(n, n * 960, n * 0.020)
        uneven.add(n, n * 960, n * 0.020 + (0.010 if n % 2 else 0.0))  # every other packet 10 ms late
    assert even.jitter_seconds == pytest.approx(0.0, abs=1e-6)
    assert uneven.jitter_seconds == pytest.approx(0.010, rel=0.1)  # RFC 3550's estimator converges to |D|


def test_sender_and_receiver_reports_round_trip_on_the_wire() -> None:
    block = rtcp.ReportBlock(ssrc=99, fraction_lost=0.25, packets_lost=-3, highest_sequence=70_000,
                             jitter=480, lsr=0x12345678, dlsr=65_536)  # fmt: skip
    sender = rtcp.SenderInfo(ntp=rtcp.ntp_now(), rtp_timestamp=123, packets=10, octets=800)
    compound = rtcp.build(5, sender, [block]) + rtcp.build(6, None, [])
    sr, rr = rtcp.parse(compound)
    assert (sr.ssrc, sr.sender, rr.ssrc, rr.sender, rr.blocks) == (5, sender, 6, None, [])
    (got,) = sr.blocks
    assert got == block


def test_round_trip_time_comes_from_the_echoed_sender_report() -> None:
    sent = rtcp.ntp_now()
    # The peer got our SR, held it 0.5 s, and its report reaches us 0.6 s after we sent the SR.
    block = rtcp.ReportBlock(1, 0.0, 0, 0, 0, lsr=rtcp.middle_32(sent), dlsr=int(0.5 * 65_536))
    arrival = sent + int(0.6 * (1 << 32))
    rtt = rtcp.round_trip_seconds(block, arrival)
    assert rtt == pytest.approx(0.1, abs=0.001)
    assert rtcp.round_trip_seconds(rtcp.ReportBlock(1, 0.0, 0, 0, 0, lsr=0, dlsr=0), arrival) is None


@pytest.mark.parametrize(
    "data",
    [
        b"\x40\xc8\x00\x00",  # version 1
        b"\x81\xc9\x00\x07" + b"\0" * 8,  # longer than the datagram
        b"\x80\xc8\x00\x09",
        b"\x80\xc9\x00\x00" + b"\0" * 40,  # an RR with no room for its SSRC (more data follows)
        b"\x80\xc8\x00\x01" + b"\0" * 40,  # an SR with no room for its sender info
    ],
)
def test_malformed_rtcp_is_refused(data: bytes) -> None:
    with pytest.raises(rtcp.MalformedRtcp):
        rtcp.parse(data)
