"""Gateway metrics: pod-level, bounded labels, no call ids (per-call detail is in the
log line at hang-up and in GET /calls)."""

from __future__ import annotations

import asyncio
import threading

from prometheus_client import Counter, Gauge, Histogram

from bus.settings import metrics_multiprocess

# Gauges say how to combine workers' values (`voicepod gateway --workers N`, prometheus_client's
# multiprocess mode): summed over live workers; a dead worker's calls no longer count.
CALLS_ACTIVE = Gauge(
    "voicepod_gateway_calls_active", "Calls this gateway process holds now.", multiprocess_mode="livesum"
)
CALLS_STARTED = Counter("voicepod_gateway_calls_started_total", "Calls accepted (an answer was sent).")
CALLS_ENDED = Counter("voicepod_gateway_calls_ended_total", "Calls ended, by reason.", ["reason"])
CALLS_REFUSED = Counter("voicepod_gateway_calls_refused_total", "Offers refused, by reason.", ["reason"])
# A caller's re-offer with new ICE credentials mid-call: "answered", or "refused" (with why on /ws).
ICE_RESTARTS = Counter("voicepod_gateway_ice_restarts_total", "ICE restarts asked by callers, by outcome.", ["outcome"])
SIGNALING_ERRORS = Counter("voicepod_gateway_signaling_errors_total", "Error messages sent on /ws, by code.", ["code"])
ICE_STATE = Gauge(
    "voicepod_gateway_calls_by_ice_state", "Calls by ICE connection state.", ["state"], multiprocess_mode="livesum"
)
CONNECTION_STATE = Gauge(
    "voicepod_gateway_calls_by_connection_state", "Calls by peer connection state.", ["state"],
    multiprocess_mode="livesum",
)  # fmt: skip

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
EVENTS_DROPPED = Counter(
    "voicepod_gateway_events_dropped_total", "Call events not sent on /ws: the caller stopped reading its socket."
)
CALLER_AUDIO = Counter(
    "voicepod_gateway_caller_audio_seconds_total", "Caller audio the calls' turn loops took in (VAD, STT)."
)
CALLER_PACKETS_LATE = Counter(
    "voicepod_gateway_caller_packets_late_total",
    "Caller packets the turn loop took > 40 ms after they arrived: the process is behind (lean media stack).",
)
CALLER_PACKETS_DROPPED = Counter(
    "voicepod_gateway_caller_packets_dropped_total",
    "Caller packets dropped before the turn loop: not authentic, malformed, or a backlog overflow (lean stack).",
)
MEDIA_DROPPED = Counter(
    "voicepod_gateway_media_dropped_total",
    "Datagrams dropped on the media port, by reason: before_ice, stranger (not the selected pair's address), "
    "oversized, bad_stun, not_media, backlog (ICE guard, both stacks); srtp, malformed, other_payload, overflow, "
    "error (lean endpoint).",
    ["reason"],
)  # fmt: skip
MEDIA_MUX_DROPPED = Counter(
    "voicepod_gateway_media_mux_dropped_total",
    "Datagrams on the shared media port (VOICEPOD_RTC_UDP_PORT) that no call gets, by reason: unknown_ufrag "
    "(a binding request for no live call), unknown_address (from an address no call talked to), address_limit.",
    ["reason"],
)  # fmt: skip
MEDIA_SEND_ERRORS = Counter(
    "voicepod_gateway_media_send_errors_total",
    "Caller-bound packets that could not be sent, each skipped (lean stack).",
)
ICE_CANDIDATES_REFUSED = Counter(
    "voicepod_gateway_ice_candidates_refused_total",
    "Callers' ICE candidates not probed, by reason (gateway/rtc/candidate_policy.py REASONS).", ["reason"],
)  # fmt: skip

TURNS = Counter("voicepod_gateway_turns_total", "Caller turns detected.")
BARGE_INS = Counter("voicepod_gateway_barge_ins_total", "Times the caller interrupted the agent.")
BARGE_IN_STOP = Histogram(
    "voicepod_gateway_barge_in_stop_seconds", "From a confirmed barge-in to the agent's audio stopping.",
    buckets=(0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.5),
)  # fmt: skip
INTERRUPTIONS = Counter(
    "voicepod_gateway_interruptions_total",
    "Caller speech during the agent's reply, by outcome: resumed (a backchannel: the paused reply went on), "
    "interrupted (a real barge-in: the reply was dropped).",
    ["outcome"],
)  # fmt: skip
PAUSED = Histogram(
    "voicepod_gateway_reply_paused_seconds", "How long a reply that resumed stayed paused (a backchannel's cost).",
    buckets=(0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 5.0),
)  # fmt: skip
PREPARED_REPLIES = Counter(
    "voicepod_gateway_prepared_replies_total",
    "Replies prepared at a caller's pause, by outcome: used (the turn ended with the same text), "
    "dropped (the caller went on, or the text changed), not_prepared (it needed a tool that changes something).",
    ["outcome"],
)  # fmt: skip
TURN_LATENCY = Histogram(
    "voicepod_gateway_turn_latency_seconds",
    "End of caller speech to first reply audio, by stage (stt, agent, tts, gateway, total).",
    ["stage"], buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
)  # fmt: skip

# Leak gauges (a soak, or an operator, compares them with the idle figures; RSS and open fds come
# from prometheus_client's process collector). One process: read at scrape time. Several workers
# (prometheus_client's multiprocess mode, where values live in shared files): each worker writes
# its own every few seconds (publish_worker_gauges) and /metrics sums the live workers.
MULTIPROCESS = metrics_multiprocess()
PEER_CONNECTIONS = Gauge(
    "voicepod_gateway_peer_connections", "RTCPeerConnections this process created and has not finished closing.",
    multiprocess_mode="livesum",
)  # fmt: skip
ASYNCIO_TASKS = Gauge(
    "voicepod_gateway_asyncio_tasks", "asyncio tasks not yet done on the gateway's event loop.",
    multiprocess_mode="livesum",
)  # fmt: skip
THREADS = Gauge(
    "voicepod_gateway_threads", "Python threads alive in this process (threading.active_count()).",
    multiprocess_mode="livesum",
)  # fmt: skip


def _asyncio_tasks() -> float:
    try:
        return float(len(asyncio.all_tasks()))
    except RuntimeError:  # scraped outside the event loop's thread (the gateway serves /metrics on the loop)
        return float("nan")


async def publish_worker_gauges(every: float = 5.0) -> None:
    """Multiprocess mode only: a scrape-time function cannot reach the other workers."""
    while True:
        ASYNCIO_TASKS.set(_asyncio_tasks())
        THREADS.set(threading.active_count())
        await asyncio.sleep(every)  # the refresh period


if not MULTIPROCESS:
    ASYNCIO_TASKS.set_function(_asyncio_tasks)
    THREADS.set_function(lambda: float(threading.active_count()))
