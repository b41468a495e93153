"""Message templates the agent may send; variables are filled in by name."""

from __future__ import annotations

import string
from collections.abc import Mapping

from bus import errors

TEMPLATES: dict[str, str] = {
    "showing_confirmation": (
        "Hi {name}, your showing of {address} is confirmed for {when}. "
        "Your agent is {agent_name}. Reply STOP to opt out."
    ),
    "showing_rescheduled": "Hi {name}, your showing of {address} is now {when}. Reply STOP to opt out.",
    "showing_cancelled": "Hi {name}, your showing of {address} on {when} is cancelled. Reply STOP to opt out.",
    # Async mode (docs/modes.md): a voicemail was heard and a callback booked; a WebRTC caller's link.
    "voicemail_received": (
        "Hi {name}, thanks for your message to {company}. We got it and we'll call you back {when}. "
        "Reply STOP to opt out."
    ),
    "callback_link": (
        "Hi {name}, {company} returning your message. Talk to us any time here: {link} Reply STOP to opt out."
    ),
    "listing_details": "{address}: {price}, {bedrooms} bd / {bathrooms} ba. Photos: {photo_url} Reply STOP to opt out.",
}
MAX_BODY = 1600  # ten SMS segments


def render(template_id: str, variables: Mapping[str, str]) -> str:
    template = TEMPLATES.get(template_id)
    if template is None:
        raise errors.BadRequest(f"unknown template {template_id!r}; known: {', '.join(sorted(TEMPLATES))}",
                                reason="unknown_template", field="template_id")  # fmt: skip
    needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = sorted(needed - {k for k, v in variables.items() if v.strip()})
    if missing:
        raise errors.BadRequest(f"template {template_id} needs {', '.join(missing)}", reason="missing_variables",
                                field="variables")  # fmt: skip
    return template.format_map({k: variables[k].strip() for k in needed})
