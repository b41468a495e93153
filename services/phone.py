"""Phone numbers as callers say them -> E.164, or a 400 naming the field."""

from __future__ import annotations

import phonenumbers

from bus import errors

DEFAULT_REGION = "US"


def to_e164(raw: str, *, field: str = "phone", region: str = DEFAULT_REGION) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise errors.BadRequest(f"{raw!r} is not a phone number", reason="invalid_phone", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise errors.BadRequest(f"{raw!r} is not a valid phone number", reason="invalid_phone", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
