"""Phone numbers and e-mail addresses never reach a log line; ids and times do."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from bus.logging import configure_logging
from bus.redact import redact_text


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        ("+15125550134", "+*******0134"),
        ("call me at (512) 555-0134 please", "call me at +******0134 please"),
        ("512.555.0134", "+******0134"),
        ("1-512-555-0134", "+*******0134"),
        ("ada.lovelace+calls@example.co.uk wrote", "<email> wrote"),
        ("listing MLS-AUS-000123 at 3 pm for 450000 dollars", "listing MLS-AUS-000123 at 3 pm for 450000 dollars"),
        ("2026-11-24T15:00:03Z", "2026-11-24T15:00:03Z"),
    ],
)
def test_redact_text(said: str, logged: str) -> None:
    assert redact_text(said) == logged


def test_every_log_line_is_redacted_including_tracebacks_and_library_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", fmt="json")
    log = structlog.get_logger("t")
    log.info("lead_written", phone="+15125550134", call_id="0123456789abcdef5125550134", note={"to": "a@b.com"})
    try:
        raise ValueError("bad number 512-555-0134")
    except ValueError:
        log.exception("failed")
    logging.getLogger("aiohttp.server").warning("client ada@example.com from +15125550134")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    text = json.dumps(lines)
    assert "5125550134" not in text.replace("0123456789abcdef5125550134", "") and "@" not in text
    assert lines[0]["phone"] == "+*******0134" and lines[0]["note"] == {"to": "<email>"}
    assert lines[0]["call_id"] == "0123456789abcdef5125550134"  # ids are not personal data
    assert "+******0134" in lines[1]["exception"] and lines[2]["event"] == "client <email> from +*******0134"
    structlog.reset_defaults()
