"""The hash chain: each entry's hash covers its position, the previous hash and the event."""

from __future__ import annotations

import hashlib

from bus.contracts import events_pb2


def canonical(event: events_pb2.AuditEvent) -> bytes:
    return event.SerializeToString(deterministic=True)


def entry_hash(sequence: int, prev_hash: str, event_bytes: bytes) -> str:
    return hashlib.sha256(f"{sequence}\n{prev_hash}\n".encode() + event_bytes).hexdigest()
