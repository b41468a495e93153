"""NATS header names carried by every request (documented in proto/README.md)."""

# Absolute deadline, Unix epoch milliseconds, as a decimal string.
DEADLINE = "Pod-Deadline"
# The call a request acts for; bound into every log line of the handler.
CALL_ID = "Pod-Call-Id"
# Unique per request; set by the client, echoed in logs on both sides.
REQUEST_ID = "Pod-Request-Id"

# Standard NATS micro error headers (see nats.micro.request).
SERVICE_ERROR = "Nats-Service-Error"
SERVICE_ERROR_CODE = "Nats-Service-Error-Code"
