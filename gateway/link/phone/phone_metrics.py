"""Phone-bridge metrics: pod-level, bounded labels (per-call figures are in the call's summary)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WEBHOOKS = Counter("voicepod_phone_webhooks_total", "Twilio voice webhooks, by outcome.", ["outcome"])
STREAMS = Counter("voicepod_phone_streams_total", "Media stream sockets, by how they ended.", ["outcome"])
STREAM_ERRORS = Counter(
    "voicepod_phone_stream_errors_total", "Stream messages that broke the protocol (the call ends), by reason.",
    ["reason"],
)  # fmt: skip
UNKNOWN_EVENTS = Counter("voicepod_phone_unknown_events_total", "Stream events this bridge skips.")
FRAMES = Counter("voicepod_phone_media_frames_total", "μ-law media messages, by direction.", ["direction"])
GAPS = Counter("voicepod_phone_media_gaps_total", "Caller media chunks that never arrived (counter jumps).")
MARK_ROUND_TRIP = Histogram(
    "voicepod_phone_mark_round_trip_seconds",
    "From sending a mark after an utterance's last frame to Twilio reporting it played.",
    buckets=(0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0),
)  # fmt: skip
CLEARS = Counter("voicepod_phone_clears_total", "`clear` messages sent (the agent's sound stopped for the caller).")
DTMF = Counter("voicepod_phone_dtmf_keys_total", "Keys callers pressed.")
