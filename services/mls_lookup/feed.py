"""Reading a listings feed: JSON Lines (optionally .gz), a JSON array, or CSV.

The format is documented in docs/services.md (mls_lookup). Every bad record is
reported with its line and field; nothing is loaded from a feed with errors.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.mls_lookup.listing import FeedError, ListingRecord, from_mapping


def read_feed(path: Path) -> list[ListingRecord]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    name = path.name.removesuffix(".gz")
    if name.endswith(".csv"):
        rows = [(f"{path.name} line {i + 2}", row) for i, row in enumerate(csv.DictReader(io.StringIO(text)))]
    elif name.endswith(".json"):
        data = json.loads(text)
        if not isinstance(data, list):
            raise FeedError(f"{path.name}: a .json feed is an array of listing objects")
        rows = [(f"{path.name} item {i}", row) for i, row in enumerate(data)]
    elif name.endswith(".jsonl"):
        rows = [(f"{path.name} line {i + 1}", json.loads(line)) for i, line in enumerate(text.splitlines()) if line]
    else:
        raise FeedError(f"{path.name}: feed must be .jsonl, .json or .csv (optionally .gz)")
    records, problems, seen = [], [], set()
    for where, row in rows:
        try:
            if not isinstance(row, dict):
                raise FeedError(f"{where}: not an object")
            record = from_mapping(row, where)
            try:
                ZoneInfo(record.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise FeedError(f"{where}: time_zone {record.time_zone!r} is not an IANA zone") from None
            if record.mls_id in seen:
                raise FeedError(f"{where}: duplicate mls_id {record.mls_id}")
            seen.add(record.mls_id)
            records.append(record)
        except FeedError as exc:
            problems.append(str(exc))
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise FeedError(f"{len(problems)} bad record(s):\n  {shown}{more}")
    return records
