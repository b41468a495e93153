from __future__ import annotations

import time

import pytest

from bus import headers
from bus.deadline import Deadline, InvalidDeadline, from_headers


def test_after_sets_an_absolute_epoch_millisecond_deadline() -> None:
    before = int(time.time() * 1000)
    d = Deadline.after(1.5)
    assert before + 1500 <= d.epoch_ms <= int(time.time() * 1000) + 1500
    assert 1.0 < d.remaining() <= 1.5 and not d.expired()


def test_past_deadline_is_expired() -> None:
    assert Deadline(int(time.time() * 1000) - 1).expired()


@pytest.mark.parametrize("value", ["", "soon", "1.5e3", "-5", "0"])
def test_malformed_header_is_rejected(value: str) -> None:
    with pytest.raises(InvalidDeadline):
        from_headers({headers.DEADLINE: value})


def test_missing_header_means_no_deadline() -> None:
    assert from_headers(None) is None
    assert from_headers({"Other": "1"}) is None
    assert from_headers({headers.DEADLINE: "1700000000000"}) == Deadline(1700000000000)
