"""Short-lived signed tokens for /ws and /calls: HMAC-SHA256 over a small JSON payload.

Format: base64url(payload) "." base64url(signature). The payload carries
`sub` (who), `aud` (what for), `iat`, `exp` (Unix seconds) and `jti` (unique id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

WS_AUDIENCE = "voicepod-ws"
LEEWAY_SECONDS = 5  # clock skew tolerated on `exp`


class TokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # malformed | bad_signature | expired | wrong_audience


@dataclass(frozen=True)
class Claims:
    sub: str
    aud: str
    iat: int
    exp: int
    jti: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def mint(secret: bytes, *, subject: str = "caller", ttl_seconds: int = 3600, audience: str = WS_AUDIENCE,
         now: float | None = None) -> str:  # fmt: skip
    issued = int(time.time() if now is None else now)
    claims = {"sub": subject, "aud": audience, "iat": issued, "exp": issued + ttl_seconds, "jti": secrets.token_hex(8)}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, token: str, *, audience: str = WS_AUDIENCE, now: float | None = None) -> Claims:
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        raise TokenError("malformed")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise TokenError("bad_signature")
    try:
        raw = json.loads(_unb64(payload))
        claims = Claims(sub=str(raw["sub"]), aud=str(raw["aud"]), iat=int(raw["iat"]), exp=int(raw["exp"]),
                        jti=str(raw["jti"]))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if claims.aud != audience:
        raise TokenError("wrong_audience")
    if claims.exp + LEEWAY_SECONDS < (time.time() if now is None else now):
        raise TokenError("expired")
    return claims
