"""Which remote ICE candidates a call probes (gateway/rtc/candidate_policy.py), and the VOICEPOD_ICE_*
settings that shape it."""

from __future__ import annotations

import pytest
from aioice import Candidate

from gateway.rtc.candidate_policy import REASONS, CandidatePolicy, address_refusal
from gateway.rtc.ice_gather import GatherError, local_addresses
from gateway.rtc.ice_options import IceOptions
from gateway.settings import GatewaySettings


def _candidate(host: str, port: int = 50000) -> Candidate:
    return Candidate.from_sdp(f"1 1 udp 2130706431 {host} {port} typ host")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("168.63.129.16", "metadata"),
        ("100.100.100.200", "metadata"), ("::ffff:169.254.169.254", "metadata"),
        ("169.254.10.1", "link_local"), ("fe80::1", "link_local"),
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"), ("64:ff9b::7f00:1", "loopback"),
        ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"),
        ("0c6e9b7a-1234-4c1d-9e5a-77c1a2b3c4d5.local", "mdns"), ("gateway.example.com", "not_an_address"),
        ("203.0.113.7", None), ("192.168.1.20", None), ("10.1.2.3", None), ("2001:db8::7", None),
        ("100.64.0.1", None),
    ],
)  # fmt: skip
def test_address_classes(host: str, reason: str | None) -> None:
    assert address_refusal(host) == reason
    assert reason is None or reason in REASONS


def test_loopback_is_refused_unless_allowed_and_the_rest_stays_refused() -> None:
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("::ffff:127.0.0.1", allow_loopback=True) is None
    assert address_refusal("169.254.169.254", allow_loopback=True) == "metadata"
    assert address_refusal("fe80::1", allow_loopback=True) == "link_local"


def test_at_most_the_limit_is_admitted_and_the_rest_counted() -> None:
    refused: list[str] = []
    policy = CandidatePolicy(IceOptions(max_candidates=100), refused.append)
    admitted = [policy.admit(_candidate(f"203.0.{i // 250}.{i % 250 + 1}")) for i in range(1_000)]
    assert admitted == [True] * 100 + [False] * 900
    assert policy.accepted == 100 and policy.refused == {"over_limit": 900} and refused == ["over_limit"] * 900
    # The same candidate again (another section of a bundled offer) is no new candidate.
    assert policy.admit(_candidate("203.0.0.1")) and policy.accepted == 100


def test_end_of_candidates_and_connected_close_the_door() -> None:
    policy = CandidatePolicy(IceOptions())
    assert policy.admit(_candidate("203.0.113.7"))
    assert policy.end() and not policy.end()  # only the first end is passed on
    assert not policy.admit(_candidate("203.0.113.8")) and policy.refused["after_end"] == 1
    policy = CandidatePolicy(IceOptions())
    policy.connected = True
    assert not policy.admit(_candidate("203.0.113.8")) and policy.refused["after_connected"] == 1


def test_nothing_usable_says_why_only_once_the_candidates_have_ended() -> None:
    policy = CandidatePolicy(IceOptions())
    for host in ("127.0.0.1", "169.254.169.254", "x.local"):
        assert not policy.admit(_candidate(host))
    assert policy.nothing_usable() is None  # more may be trickled
    policy.end()
    assert policy.nothing_usable() == "no usable ICE candidate: 3 refused (loopback 1, mdns 1, metadata 1)"


def test_a_port_outside_the_range_is_refused() -> None:
    policy = CandidatePolicy(IceOptions())
    assert not policy.admit(_candidate("203.0.113.7", port=0)) and policy.refused == {"bad_port": 1}


def test_settings_from_the_environment() -> None:
    s = GatewaySettings.from_env({"VOICEPOD_ICE_ADDRESSES": "127.0.0.1, eth0", "VOICEPOD_ICE_ADVERTISE": "203.0.113.7",
                                  "VOICEPOD_ICE_ALLOW_LOOPBACK": "1", "VOICEPOD_ICE_MAX_CANDIDATES": "20"})  # fmt: skip
    assert s.ice == IceOptions(("127.0.0.1", "eth0"), "203.0.113.7", True, 20)
    assert GatewaySettings.from_env({}).ice == IceOptions((), None, False, 100)
    for bad in ({"VOICEPOD_ICE_ADVERTISE": "gateway.example.com"}, {"VOICEPOD_ICE_ADVERTISE": "0.0.0.0"},
                {"VOICEPOD_ICE_MAX_CANDIDATES": "0"}):  # fmt: skip
        with pytest.raises(ValueError, match="VOICEPOD_ICE_"):
            GatewaySettings.from_env(bad)


def test_addresses_name_ips_or_interfaces() -> None:
    assert local_addresses(["127.0.0.1", "::1"], ipv6=False) == ["127.0.0.1"]
    assert local_addresses(["127.0.0.1", "::1"], ipv6=True) == ["127.0.0.1", "::1"]
    assert "127.0.0.1" in local_addresses(["lo"], ipv6=False)
    with pytest.raises(GatherError, match="'no-such-if0' is neither an IP nor an interface"):
        local_addresses(["no-such-if0"], ipv6=False)


async def test_a_gateway_gathering_on_an_interface_that_is_not_there_does_not_start() -> None:
    from bus.settings import BusSettings
    from gateway.server import run_gateway

    settings = GatewaySettings(dev_mode=True, ice=IceOptions(addresses=("no-such-if0",)))
    with pytest.raises(SystemExit, match="VOICEPOD_ICE_ADDRESSES: 'no-such-if0' is neither an IP nor an interface"):
        await run_gateway(settings, BusSettings())
