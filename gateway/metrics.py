"""Gateway metrics: pod-level, bounded labels, no call ids (per-call detail is in the
log line at hang-up and in GET /calls)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CALLS_ACTIVE = Gauge("voicepod_gateway_calls_active", "Calls this gateway process holds now.")
CALLS_STARTED = Counter("voicepod_gateway_calls_started_total", "Calls accepted (an answer was sent).")
CALLS_ENDED = Counter("voicepod_gateway_calls_ended_total", "Calls ended, by reason.", ["reason"])
CALLS_REFUSED = Counter("voicepod_gateway_calls_refused_total", "Offers refused, by reason.", ["reason"])
SIGNALING_ERRORS = Counter("voicepod_gateway_signaling_errors_total", "Error messages sent on /ws, by code.", ["code"])
ICE_STATE = Gauge("voicepod_gateway_calls_by_ice_state", "Calls by ICE connection state.", ["state"])
CONNECTION_STATE = Gauge("voicepod_gateway_calls_by_connection_state", "Calls by peer connection state.", ["state"])

RTT = Histogram(
    "voicepod_gateway_call_rtt_seconds", "Round-trip time to callers (RTCP), one sample per call per poll.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0),
)  # fmt: skip
JITTER = Histogram(
    "voicepod_gateway_call_jitter_seconds", "Inbound interarrival jitter, one sample per call per poll.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2),
)  # fmt: skip
FRACTION_LOST = Histogram(
    "voicepod_gateway_call_fraction_lost_ratio", "Fraction of our packets the caller reported lost (RTCP).",
    buckets=(0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
)  # fmt: skip
PACKETS_LOST = Counter("voicepod_gateway_packets_lost_total", "RTP packets lost, by direction.", ["direction"])
PACKETS = Counter("voicepod_gateway_packets_total", "RTP packets, by direction.", ["direction"])
BYTES = Counter(
    "voicepod_gateway_bytes_total", "Bytes: RTP sent (outbound), all transport bytes received (inbound).",
    ["direction"],
)  # fmt: skip
LATE_FRAMES = Counter("voicepod_gateway_late_frames_total", "Outgoing 20 ms frames produced more than a frame late.")

TURNS = Counter("voicepod_gateway_turns_total", "Caller turns detected.")
BARGE_INS = Counter("voicepod_gateway_barge_ins_total", "Times the caller interrupted the agent.")
BARGE_IN_STOP = Histogram(
    "voicepod_gateway_barge_in_stop_seconds", "From a confirmed barge-in to the agent's audio stopping.",
    buckets=(0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.5),
)  # fmt: skip
TURN_LATENCY = Histogram(
    "voicepod_gateway_turn_latency_seconds",
    "End of caller speech to first reply audio, by stage (stt, agent, tts, gateway, total).",
    ["stage"], buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
)  # fmt: skip
