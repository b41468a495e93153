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
# Tokens for the operators' views (/calls, /console, the desk of shadow mode): never accepted on /ws,
# and /ws tokens never here.
OPS_AUDIENCE = "voicepod-ops"
LEEWAY_SECONDS = 5  # clock skew tolerated on `exp`
# HMAC-SHA256's key is as strong as its bytes: 32 is the hash's own size (RFC 2104 section 3).
MIN_SECRET_BYTES = 32


class TokenError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # missing | malformed | bad_signature | expired | wrong_audience | too_long_lived


def secret_problem(secret: bytes) -> str | None:
    """Why `secret` may not sign tokens (None: it may)."""
    if len(secret) < MIN_SECRET_BYTES:
        return (f"VOICEPOD_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes (it is {len(secret)}); "
                "make one with `openssl rand -hex 32`")  # fmt: skip
    return None


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


def verify(secret: bytes, token: str, *, audience: str = WS_AUDIENCE, now: float | None = None,
           max_lifetime: float | None = None) -> Claims:  # fmt: skip
    """The token's claims, or TokenError. `max_lifetime`: refuse a token that expires further out
    than this many seconds from now (a leaked long-lived token is a standing key)."""
    payload, dot, signature = token.partition(".")
    # Only ASCII is a token: compare_digest refuses other str (TypeError), and nothing we mint has it.
    if not dot or not payload or not signature or not token.isascii():
        raise TokenError("malformed")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise TokenError("bad_signature")
    try:
        raw = json.loads(_unb64(payload))
        claims = Claims(sub=str(raw["sub"]), aud=str(raw["aud"]), iat=int(raw["iat"]), exp=int(raw["exp"]),
                        jti=str(raw["jti"]))  # fmt: skip
    except (ValueError, KeyError, TypeError, OverflowError):
        raise TokenError("malformed") from None
    if claims.aud != audience:
        raise TokenError("wrong_audience")
    moment = time.time() if now is None else now
    if claims.exp + LEEWAY_SECONDS < moment:
        raise TokenError("expired")
    if max_lifetime is not None and claims.exp - moment > max_lifetime + LEEWAY_SECONDS:
        raise TokenError("too_long_lived", f"it expires in {claims.exp - moment:.0f} s; at most {max_lifetime:.0f} s "
                         "is accepted (VOICEPOD_MAX_TOKEN_SECONDS)")  # fmt: skip
    return claims
