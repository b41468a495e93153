from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.mls_lookup.address import candidate_street_keys, street_key
from services.mls_lookup.feed import read_feed
from services.mls_lookup.listing import FeedError
from services.mls_lookup.sample import METROS, SAMPLE_FILE, generate, render

ROW = {
    "mls_id": "X1", "street": "12 Elm Street", "city": "Boise", "state": "id", "postal_code": "83702",
    "price_usd": "450000", "bedrooms": "3", "bathrooms": "2.5", "square_feet": "1800",
    "property_type": "Single_Family", "time_zone": "America/Boise", "features": "pool;garage",
}  # fmt: skip


def test_shipped_sample_is_what_the_generator_makes() -> None:
    assert SAMPLE_FILE.read_bytes() == render(generate())


def test_sample_spans_at_least_20_metros_with_complete_listings() -> None:
    records = read_feed(SAMPLE_FILE)
    assert len(records) >= 2000 and len(METROS) >= 20
    assert len({(r.city, r.state) for r in records}) == len(METROS)
    assert {"Austin", "Denver", "Phoenix", "Seattle", "Miami"} <= {r.city for r in records}
    for r in records:
        assert r.street and r.postal_code and r.agent_name and r.agent_phone.startswith("+1") and r.photo_urls
        assert r.price_usd > 0


def test_csv_and_json_feeds_load(tmp_path: Path) -> None:
    csv_file = tmp_path / "feed.csv"
    csv_file.write_text(",".join(ROW) + "\n" + ",".join(ROW.values()) + "\n")
    json_file = tmp_path / "feed.json"
    json_file.write_text(json.dumps([{**ROW, "features": ["pool", "garage"]}]))
    from_csv, from_json = read_feed(csv_file), read_feed(json_file)
    assert from_csv == from_json
    (r,) = from_csv
    assert (r.state, r.property_type, r.bathrooms, r.features) == ("ID", "single_family", 2.5, ("pool", "garage"))


def test_bad_records_are_reported_by_line_and_field_and_nothing_loads(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    rows = [ROW, {**ROW, "mls_id": "X2", "price_usd": "cheap"}, {**ROW, "mls_id": "X3", "time_zone": "Mars/Base"},
            {**ROW, "mls_id": "X1"}, {k: v for k, v in ROW.items() if k != "city"} | {"mls_id": "X4"}]  # fmt: skip
    feed.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(FeedError) as caught:
        read_feed(feed)
    text = str(caught.value)
    assert "4 bad record(s)" in text
    assert "line 2: price_usd must be a number" in text and "line 3: time_zone 'Mars/Base'" in text
    assert "line 4: duplicate mls_id X1" in text and "line 5: missing city" in text


def test_spoken_addresses_normalise() -> None:
    assert street_key("123 Main Street") == street_key("123 main st.") == "123 main st"
    assert candidate_street_keys("123 Main Street, Austin TX")[:2] == ["123 main st austin tx", "123 main st austin"]
