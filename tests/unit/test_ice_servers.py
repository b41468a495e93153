"""The STUN/TURN servers and their credentials (gateway/rtc/ice_servers.py); coturn accepting what
we mint is tests/integration/rtc/test_turn_relay.py."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from gateway.rtc.ice_servers import IceServers, TurnCredentials, TurnUrl
from gateway.settings import GatewaySettings


def test_turn_urls_are_read_as_rfc_7065_says() -> None:
    assert TurnUrl.parse("turn:relay.example") == TurnUrl("relay.example", 3478, "udp", secure=False)
    assert TurnUrl.parse("turn:10.0.0.1:3479?transport=tcp") == TurnUrl("10.0.0.1", 3479, "tcp", secure=False)
    assert TurnUrl.parse("turns:relay.example") == TurnUrl("relay.example", 5349, "tcp", secure=True)
    assert TurnUrl.parse("turn:[2001:db8::1]:3478") == TurnUrl("2001:db8::1", 3478, "udp", secure=False)
    for bad, why in [("turn:", "not a TURN URL"), ("stun:x", "not a TURN URL"), ("turn:x?transport=sctp", "udp or tcp"),
                     ("turns:x?transport=udp", "needs transport=tcp"), ("turn:x:http", "not a number"),
                     ("turn::3478", "no host"), ("turn:x:70000", "out of range")]:  # fmt: skip
        with pytest.raises(ValueError, match=why):
            TurnUrl.parse(bad)


def test_a_shared_secret_mints_coturns_rest_api_credentials_that_expire() -> None:
    credentials = TurnCredentials(secret=b"s3cret", ttl_seconds=600)
    username, password = credentials.issue(1_700_000_000.7, "caller-7")
    assert username == "1700000600:caller-7"
    assert password == base64.b64encode(hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()).decode()
    assert credentials.issue(1_700_000_000, None)[0] == "1700000600:voicepod"
    assert credentials.issue(1_700_000_001, "caller-7") != (username, password)  # a new expiry, a new password


def test_static_credentials_are_handed_out_as_they_are() -> None:
    assert TurnCredentials("alice", "pw").issue(0.0, "anyone") == ("alice", "pw")
    assert not TurnCredentials("alice").configured and TurnCredentials(secret=b"x").configured
    with pytest.raises(ValueError, match="not both"):
        TurnCredentials("alice", "pw", secret=b"x")
    with pytest.raises(ValueError, match="at least 60 seconds"):
        TurnCredentials(secret=b"x", ttl_seconds=5)


def test_the_page_gets_the_stun_servers_and_the_turn_servers_with_a_credential() -> None:
    servers = IceServers(("stun:stun.example", "turn:a.example", "turns:b.example"), TurnCredentials(secret=b"k"))
    stun, turn = servers.for_browser(1000.0, "page")
    assert stun == {"urls": ["stun:stun.example"]}
    assert turn["urls"] == ["turn:a.example", "turns:b.example"] and turn["username"].endswith(":page")
    assert servers.turn() == TurnUrl("a.example", 3478, "udp", secure=False)  # the gateway allocates on the first
    assert IceServers().for_browser(0.0) == []
    with pytest.raises(ValueError, match="not a stun:, turn: or turns: URL"):
        IceServers(("http://x",))
    with pytest.raises(ValueError, match="needs credentials"):
        IceServers(("turn:x",))


def test_the_turn_settings_come_from_the_environment() -> None:
    url = {"VOICEPOD_ICE_SERVERS": "turn:t.example"}
    static = GatewaySettings.from_env({**url, "VOICEPOD_TURN_USERNAME": "bob", "VOICEPOD_TURN_PASSWORD": "pw"})
    assert static.servers().for_browser(0.0) == [{"urls": ["turn:t.example"], "username": "bob", "credential": "pw"}]
    minted = GatewaySettings.from_env({**url, "VOICEPOD_TURN_SECRET": "k", "VOICEPOD_TURN_TTL": "120"})
    assert minted.turn_credentials == TurnCredentials(secret=b"k", ttl_seconds=120)
    with pytest.raises(ValueError, match="is not a stun:, turn: or turns: URL"):
        GatewaySettings.from_env({"VOICEPOD_ICE_SERVERS": "turn.example:3478"})
