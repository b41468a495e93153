"""List prices (USD per unit) used to estimate what a conversation cost.

Estimates only: they are the providers' published list prices when this table was
written (late 2026) and ignore discounts and free tiers. Override with a JSON file
named by VOICEPOD_PRICES_FILE: {"provider": {"unit": usd_per_unit}}. Offline
providers cost nothing per use and are not listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from gateway.providers.settings import prices_file

PER_MILLION = 1e-6
PER_MINUTE = 1 / 60

# provider -> unit -> USD per unit. Units: input_tokens, output_tokens, audio_input_tokens,
# audio_output_tokens, audio_seconds (speech in), characters (speech out), inbound_minutes and
# outbound_minutes (a phone line), messages (texts).
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "openai:gpt-4o-mini": {"input_tokens": 0.15 * PER_MILLION, "output_tokens": 0.60 * PER_MILLION},
    "openai:gpt-4.1-mini": {"input_tokens": 0.40 * PER_MILLION, "output_tokens": 1.60 * PER_MILLION},
    "openai:gpt-4o": {"input_tokens": 2.50 * PER_MILLION, "output_tokens": 10.0 * PER_MILLION},
    "openai:gpt-realtime": {
        "input_tokens": 4.0 * PER_MILLION,
        "output_tokens": 16.0 * PER_MILLION,
        "audio_input_tokens": 32.0 * PER_MILLION,
        "audio_output_tokens": 64.0 * PER_MILLION,
    },
    "openai:gpt-4o-mini-tts": {"characters": 12.0 * PER_MILLION},
    "openai:tts-1": {"characters": 15.0 * PER_MILLION},
    "deepgram:nova-3": {"audio_seconds": 0.0077 * PER_MINUTE},
    "deepgram:aura-2": {"characters": 0.030 / 1000},
    # Telephony (US local numbers) and texts: a phone call's minutes, a callback's, a text sent.
    "twilio:voice": {"inbound_minutes": 0.0085, "outbound_minutes": 0.014},
    "twilio:sms": {"messages": 0.0083},
}


def load_prices(env: Mapping[str, str] | None = None) -> dict[str, dict[str, float]]:
    prices = {provider: dict(units) for provider, units in DEFAULT_PRICES.items()}
    path = prices_file(env)
    if path:
        for provider, units in json.loads(Path(path).read_text()).items():
            prices.setdefault(provider, {}).update({unit: float(usd) for unit, usd in units.items()})
    return prices


def unit_price(prices: Mapping[str, Mapping[str, float]], provider: str, unit: str) -> float:
    """Price of one unit; a model id with a date suffix ("gpt-4o-mini-2024-07-18") uses its family's price."""
    name = provider
    while name:
        if name in prices and unit in prices[name]:
            return prices[name][unit]
        name = name.rpartition("-")[0]
    return 0.0
