"""Prometheus metrics of the bus, one registry per process (the default one).

Labels are bounded: service and endpoint names come from bus.subjects, codes
from bus.errors. No call or request ids as labels; those go to the logs.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Request/reply on loopback is sub-millisecond; tools with databases reach 100s of ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

SERVICE_REQUESTS = Counter(
    "voicepod_service_requests_total", "Requests received by a service endpoint.", ["service", "endpoint"]
)
SERVICE_ERRORS = Counter(
    "voicepod_service_errors_total",
    "Error replies sent by a service endpoint, by code.",
    ["service", "endpoint", "code"],
)
SERVICE_DURATION = Histogram(
    "voicepod_service_handler_duration_seconds",
    "Time from receiving a request to sending its reply.",
    ["service", "endpoint"],
    buckets=LATENCY_BUCKETS,
)
SERVICE_IN_FLIGHT = Gauge("voicepod_service_in_flight_requests", "Requests being handled right now.", ["service"])

CLIENT_REQUESTS = Counter(
    "voicepod_bus_client_requests_total",
    "Requests sent through the bus client, by outcome.",
    ["endpoint", "outcome"],
)
CLIENT_DURATION = Histogram(
    "voicepod_bus_client_request_duration_seconds",
    "Round trip of a bus request as the caller saw it.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)

NATS_CONNECTED = Gauge("voicepod_nats_connected", "1 while this process is connected to NATS.")
NATS_DISCONNECTS = Counter("voicepod_nats_disconnects_total", "Times this process lost its NATS connection.")
NATS_RECONNECTS = Counter("voicepod_nats_reconnects_total", "Times this process reconnected to NATS.")
