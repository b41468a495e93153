"""Outbound-call metrics: bounded labels (each dial's details are in its audit record)."""

from __future__ import annotations

from prometheus_client import Counter

DIALS = Counter("voicepod_phone_dials_total", "Dial requests, by what became of them (placed or why refused).",
                ["outcome"])  # fmt: skip
OUTCOMES = Counter("voicepod_phone_outbound_outcomes_total",
                   "Outbound calls, by outcome: human, voicemail, no-answer, busy, failed.", ["outcome"])  # fmt: skip
CALLBACKS = Counter("voicepod_phone_outbound_callbacks_total", "Twilio's AMD and status callbacks, by outcome.",
                    ["callback", "outcome"])  # fmt: skip
