"""The operators' commands' small parts: --since, aligned columns, where NATS is found, bad arguments."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pod.cli import build_parser
from pod.ops_format import since, table
from pod.ops_settings import NATS_URL_FILE, ops_bus_settings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone(timedelta(hours=1)))


def test_since_takes_an_age_or_a_moment() -> None:
    assert since("2h", NOW) == NOW - timedelta(hours=2)
    assert since("90s", NOW) == NOW - timedelta(seconds=90)
    assert since("1.5d", NOW) == NOW - timedelta(hours=36)
    assert since("2026-12-01T08:30+00:00", NOW) == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    local = since("2026-12-01T08:30", NOW)  # no offset: this machine's local time
    assert local.tzinfo is not None and local.replace(tzinfo=None) == datetime(2026, 12, 1, 8, 30)
    for bad in ("yesterday", "2 fortnights", "-3h", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="not a moment"):
            since(bad, NOW)


UTC_ = UTC


def test_columns_are_padded_to_their_widest_cell_numbers_to_the_right() -> None:
    out = table(("CALL", "SECONDS"), [["a", "1.5"], ["call-long", "120.0"]], right=frozenset({1}))
    assert out.splitlines() == ["CALL       SECONDS", "a              1.5", "call-long    120.0"]


def test_nats_is_the_flag_then_the_environment_then_what_up_left_then_the_default(tmp_path: Path) -> None:
    assert ops_bus_settings(None, tmp_path, 3, env={}).nats_url == "nats://127.0.0.1:4222"
    (tmp_path / NATS_URL_FILE).write_text("nats://127.0.0.1:40001\n")
    assert ops_bus_settings(None, tmp_path, 3, env={}).nats_url == "nats://127.0.0.1:40001"
    from_env = ops_bus_settings(None, tmp_path, 3, env={"NATS_URL": "nats://10.0.0.5:4222", "NATS_USER": "admin"})
    assert from_env.nats_url == "nats://10.0.0.5:4222" and from_env.nats_user == "admin"
    flagged = ops_bus_settings("nats://127.0.0.1:40002", tmp_path, 3, env={"NATS_URL": "nats://10.0.0.5:4222"})
    assert flagged.nats_url == "nats://127.0.0.1:40002" and flagged.connect_timeout == 3


def test_bad_arguments_are_refused_before_anything_is_asked(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["calls", "--since", "last tuesday"], ["calls", "--limit", "0"], ["transcript"],
                 ["audit", "verify", "--via", "carrier-pigeon"], ["calls", "--timeout", "0"]):  # fmt: skip
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(argv)
        assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --since: not a moment: 'last tuesday'" in err and "argument --limit: 1..1000, not 0" in err
    assert "argument --timeout: seconds in (0, 600], not 0" in err
