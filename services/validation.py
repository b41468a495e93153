"""Small request checks shared by the services; each failure is a 400 naming the field."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from bus import errors


def required(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise errors.BadRequest(f"{field} is required", reason="missing_field", field=field)
    return value


def bounded(value: str, field: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise errors.BadRequest(f"{field} is longer than {max_length} characters", reason="too_long", field=field)
    return value


def non_negative(value: int, field: str) -> int:
    if value < 0:
        raise errors.BadRequest(f"{field} must not be negative", reason="out_of_range", field=field)
    return value


def email(value: str, field: str = "email") -> str:
    """Normalised address, or "" when none was given."""
    value = value.strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise errors.BadRequest(
            f"{value!r} is not a valid e-mail address: {exc}", reason="invalid_email", field=field
        ) from None
