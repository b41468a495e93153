"""The sms service's settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from services.sms.providers.twilio import TwilioSettings


def twilio_settings(env: Mapping[str, str] | None = None) -> TwilioSettings | None:
    """None unless TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set; also TWILIO_FROM_NUMBER,
    TWILIO_MESSAGING_SERVICE_SID, TWILIO_API_BASE."""
    env = os.environ if env is None else env
    sid, token = env.get("TWILIO_ACCOUNT_SID", ""), env.get("TWILIO_AUTH_TOKEN", "")
    if not (sid and token):
        return None
    return TwilioSettings(
        account_sid=sid, auth_token=token, from_number=env.get("TWILIO_FROM_NUMBER", ""),
        messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        api_base=env.get("TWILIO_API_BASE", TwilioSettings.api_base).rstrip("/"),
    )  # fmt: skip
