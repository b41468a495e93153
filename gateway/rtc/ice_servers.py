"""The STUN and TURN servers a call uses (VOICEPOD_ICE_SERVERS and the VOICEPOD_TURN_* credentials),
as one value both media stacks, the page and `voicepod call` take.

TURN credentials are either static (VOICEPOD_TURN_USERNAME / VOICEPOD_TURN_PASSWORD) or minted per
use from a shared secret (VOICEPOD_TURN_SECRET): the "TURN REST API" scheme coturn checks with
`use-auth-secret` / `static-auth-secret`, where the username is "<expiry unix time>:<id>" and the
password base64(HMAC-SHA1(secret, username)). A minted credential stops working at its expiry, so
a page that leaks one leaks it for VOICEPOD_TURN_TTL seconds only.

No aioice here: gateway/rtc/ice_gather.py allocates the relay, gateway/app.py serves the page's list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

DEFAULT_TURN_TTL = 12 * 3600  # a minted credential's life: longer than any call (VOICEPOD_MAX_CALL_SECONDS)
TURN_SCHEMES = ("turn:", "turns:")


def rest_password(secret: bytes, username: str) -> str:
    """coturn's `static-auth-secret` password for `username`: base64(HMAC-SHA1(secret, username))."""
    return base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest()).decode()


@dataclass(frozen=True)
class TurnUrl:
    """A turn: or turns: URL (RFC 7065): where the TURN server is and how we reach it."""

    host: str
    port: int
    transport: str  # "udp" or "tcp" (turns: is TLS over TCP)
    secure: bool

    @classmethod
    def parse(cls, url: str) -> TurnUrl:
        scheme, _, rest = url.partition(":")
        if scheme not in ("turn", "turns") or not rest:
            raise ValueError(f"not a TURN URL: {url!r}")
        address, _, query = rest.partition("?")
        transport = parse_qs(query).get("transport", ["tcp" if scheme == "turns" else "udp"])[0].lower()
        if transport not in ("udp", "tcp"):
            raise ValueError(f"{url!r}: transport must be udp or tcp, not {transport!r}")
        if scheme == "turns" and transport == "udp":
            raise ValueError(f"{url!r}: turns: (TLS) needs transport=tcp")
        if address.startswith("["):  # an IPv6 literal
            host, _, port_text = address[1:].partition("]")
            port_text = port_text.removeprefix(":")
        else:
            host, _, port_text = address.partition(":")
        if not host:
            raise ValueError(f"{url!r} names no host")
        try:
            port = int(port_text) if port_text else (5349 if scheme == "turns" else 3478)
        except ValueError:
            raise ValueError(f"{url!r}: the port is not a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"{url!r}: the port is out of range")
        return cls(host, port, transport, scheme == "turns")


@dataclass(frozen=True)
class TurnCredentials:
    """Static, or minted from a shared secret (then `username` is the id written after the expiry)."""

    username: str = ""
    password: str = field(default="", repr=False)
    secret: bytes = field(default=b"", repr=False)
    ttl_seconds: int = DEFAULT_TURN_TTL

    def __post_init__(self) -> None:
        if self.secret and self.password:
            raise ValueError("set VOICEPOD_TURN_SECRET or VOICEPOD_TURN_PASSWORD, not both")
        if self.ttl_seconds < 60:
            raise ValueError(f"VOICEPOD_TURN_TTL must be at least 60 seconds, not {self.ttl_seconds}")
        if ":" in self.username and self.secret:
            raise ValueError("VOICEPOD_TURN_USERNAME is the id after the expiry with a secret: no ':' in it")

    @property
    def configured(self) -> bool:
        return bool(self.secret or (self.username and self.password))

    def issue(self, now: float, who: str | None = None) -> tuple[str, str]:
        """(username, password) for a TURN allocation at `now` (unix time); `who` is the id in a
        minted username (default: VOICEPOD_TURN_USERNAME, else "voicepod")."""
        if not self.secret:
            return self.username, self.password
        username = f"{int(now) + self.ttl_seconds}:{who or self.username or 'voicepod'}"
        return username, rest_password(self.secret, username)


@dataclass(frozen=True)
class IceServers:
    urls: tuple[str, ...] = ()
    turn_credentials: TurnCredentials = field(default_factory=TurnCredentials)

    def __post_init__(self) -> None:
        for url in self.urls:
            if not url.startswith(("stun:", *TURN_SCHEMES)):
                raise ValueError(f"VOICEPOD_ICE_SERVERS: {url!r} is not a stun:, turn: or turns: URL")
            if url.startswith(TURN_SCHEMES):
                TurnUrl.parse(url)  # refused at start-up, not at the first call
        if self.turn_urls and not self.turn_credentials.configured:
            raise ValueError("a TURN server in VOICEPOD_ICE_SERVERS needs credentials: VOICEPOD_TURN_SECRET (coturn's "
                             "static-auth-secret), or VOICEPOD_TURN_USERNAME and VOICEPOD_TURN_PASSWORD")  # fmt: skip

    @property
    def turn_urls(self) -> tuple[str, ...]:
        return tuple(u for u in self.urls if u.startswith(TURN_SCHEMES))

    def stun(self) -> tuple[str, int] | None:
        """The first stun: URL as (host, port)."""
        for url in self.urls:
            if url.startswith("stun:"):
                host, _, port = url.removeprefix("stun:").partition(":")
                return host, int(port or 3478)
        return None

    def turn(self) -> TurnUrl | None:
        """The TURN server the gateway allocates its relay on: the first one (aioice holds one per
        connection; the others are for callers)."""
        urls = self.turn_urls
        return TurnUrl.parse(urls[0]) if urls else None

    def for_browser(self, now: float, who: str | None = None) -> list[dict[str, Any]]:
        """RTCIceServer dictionaries (WebRTC's RTCConfiguration.iceServers), credentials included."""
        servers: list[dict[str, Any]] = []
        stun = [u for u in self.urls if u.startswith("stun:")]
        if stun:
            servers.append({"urls": stun})
        if self.turn_urls:
            username, password = self.turn_credentials.issue(now, who)
            servers.append({"urls": list(self.turn_urls), "username": username, "credential": password})
        return servers
