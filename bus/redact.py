"""Personal data out of log lines: phone numbers and e-mail addresses are masked in every
logged value (messages, fields, tracebacks). The stores keep them; logs travel further
(aggregators, tickets) and must not. The last digits stay so support can still match a
caller ("+1******0134")."""

from __future__ import annotations

import re
from typing import Any

from structlog.typing import EventDict, WrappedLogger

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# +E.164, or a NANP number with optional separators: "+15125550134", "(512) 555-0134", "512.555.0134".
PHONE = re.compile(r"(?<![\w+])(\+\d{8,15}|(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4})(?!\w)")
# Ids, times and counters are never personal data, and masking them would hide what logs are for.
UNTOUCHED = {"timestamp", "call_id", "request_id", "event_id", "lead_id", "booking_id", "message_id", "level"}


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"+{'*' * max(0, len(digits) - 4)}{digits[-4:]}"


def redact_text(text: str) -> str:
    return PHONE.sub(_mask_phone, EMAIL.sub("<email>", text))


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


def redact_pii(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """structlog processor: runs last before rendering, after tracebacks are formatted."""
    return {k: v if k in UNTOUCHED else _redact(v) for k, v in event.items()}
