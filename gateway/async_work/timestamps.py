"""Protobuf timestamps to aware datetimes and back (the gateway side's own: services keep theirs)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def to_ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment.astimezone(UTC))
    return ts


def from_ts(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)
