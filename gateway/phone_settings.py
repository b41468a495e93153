"""The phone bridge's settings (gateway/link/phone/; read by GatewaySettings.from_env)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bus.settings import env_float, env_int


@dataclass(frozen=True)
class PhoneSettings:
    # The Twilio account's auth token (TWILIO_AUTH_TOKEN, the name the sms service reads it by too):
    # it signs every webhook (X-Twilio-Signature). Unset: the Twilio routes answer 503, no phone call.
    twilio_auth_token: str = ""
    # The gateway's address as Twilio reaches it (e.g. https://voice.example.com): the signature
    # covers the URL Twilio requested, which a proxy in front of us rewrites; the stream URL in our
    # TwiML is built from it too. Unset: the URL of the request as it reached us (and no dialling
    # out: an outbound call's TwiML and callbacks need it).
    public_url: str = ""
    # How long Twilio has from our TwiML to the stream's `start` (the token in it expires then).
    stream_token_seconds: int = 60
    # --- outbound calls (`voicepod dial`, voicepod.phone.dial) ---
    # The account placing calls (TWILIO_ACCOUNT_SID) and the number they come from (TWILIO_FROM_NUMBER,
    # a Twilio number of that account); unset: dialling out is refused.
    twilio_account_sid: str = ""
    from_number: str = ""
    # Twilio's REST API (TWILIO_API_BASE: the sms service's setting too; tests point it at a stand-in).
    twilio_api_base: str = "https://api.twilio.com"
    # How long a dialled number rings before Twilio gives up (no-answer).
    ring_seconds: int = 30
    # Calls to one number within the window (VOICEPOD_DIAL_LIMIT, VOICEPOD_DIAL_WINDOW_SECONDS):
    # beyond it a dial is refused (counted per gateway process).
    dial_limit: int = 3
    dial_window_seconds: float = 24 * 3600.0
    # An answered call waits this long for Twilio's answering-machine verdict (its own detection
    # gives up by 30 s and says "unknown"); no verdict: the agent talks, as to a human.
    amd_wait_seconds: float = 40.0

    @property
    def dials_out(self) -> bool:
        return bool(self.twilio_auth_token and self.twilio_account_sid and self.from_number and self.public_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PhoneSettings:
        """TWILIO_AUTH_TOKEN, VOICEPOD_PUBLIC_URL; for dialling out TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER,
        TWILIO_API_BASE, VOICEPOD_DIAL_RING_SECONDS, VOICEPOD_DIAL_LIMIT, VOICEPOD_DIAL_WINDOW_SECONDS."""
        return cls(
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            public_url=env.get("VOICEPOD_PUBLIC_URL", "").strip().rstrip("/"),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            from_number=env.get("TWILIO_FROM_NUMBER", "").strip(),
            twilio_api_base=(env.get("TWILIO_API_BASE", "").strip() or cls.twilio_api_base).rstrip("/"),
            ring_seconds=env_int(env, "VOICEPOD_DIAL_RING_SECONDS", cls.ring_seconds),
            dial_limit=env_int(env, "VOICEPOD_DIAL_LIMIT", cls.dial_limit),
            dial_window_seconds=env_float(env, "VOICEPOD_DIAL_WINDOW_SECONDS", cls.dial_window_seconds),
        )
