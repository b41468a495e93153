"""How the operators' commands show things to people: aligned columns, local ISO times,
seconds, US dollars; and the --since argument (an ISO moment or an age such as 2h)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from services.timestamps import from_proto

AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def local_iso(ts: Timestamp) -> str:
    """A stored moment in this machine's time zone, to the second, with its offset."""
    return from_proto(ts).astimezone().isoformat(timespec="seconds")


def usd(amount: float) -> str:
    return f"${amount:.4f}"


def seconds(value: float) -> str:
    return f"{value:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> str:
    """Columns padded to their widest cell; the `right` ones (numbers) aligned right."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def since(text: str, now: datetime | None = None) -> datetime:
    """`2h`, `30m`, `7d` (that long ago) or an ISO date/time (local time when it has no offset)."""
    now = now or datetime.now().astimezone()
    age = AGE.match(text.strip().lower())
    if age:
        return now - timedelta(seconds=float(age.group(1)) * UNIT_SECONDS[age.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a moment: {text!r} (an age like 90s, 30m, 2h, 7d, 1w, or an ISO date/time like 2026-12-06T09:00)"
        ) from None
    return moment.astimezone() if moment.tzinfo is None else moment
