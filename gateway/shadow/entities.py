"""What the agent understood, as the desk and the records show it (`entities`): read from the
deterministic dialog's frame, or, for an LLM engine whose understanding is its tool calls, from the
arguments of the tools it called. The same argument names give the person's side of the comparison
(the desk's writes: records.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gateway.agent.dialog import FrameDialog
from gateway.shadow.tools import Intent

# Where a tool's arguments hold the entities compared with the agent's (the names the tool schemas of
# the verticals use): the resource booked, its time, who for, their number.
ENTITY_ARGS: Mapping[str, tuple[str, ...]] = {
    "resource": ("listing_id", "resource_id"),
    "time": ("start_time",),
    "name": ("contact_name", "name"),
    "phone": ("contact_phone", "phone", "to_phone"),
}
COMPARED = tuple(ENTITY_ARGS)
SHOWN_ARGS = {"time_zone": ("time_zone",)}  # not compared, but the desk's form needs it with the time


def of_dialog(dialog: FrameDialog) -> dict[str, str]:
    """The dialog's understanding: the flow's plain slots (city, bedrooms, ...), the chosen resource
    (a listing: its id, how it is named, its time zone), the held time, the name and the phone number."""
    out: dict[str, str] = {}
    for slot in dialog.flow.slots:
        value = dialog.frame.get(slot.name)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[slot.name] = str(value)
    if (resource := dialog.flow.resource) is not None:
        out["resource"], out["resource_label"], out["time_zone"] = resource.id, resource.label, resource.time_zone
    when: datetime | None = dialog.timing.when
    if when is not None:
        out["time"] = when.isoformat()
    for name in ("name", "phone"):
        if value := dialog.frame.get(name):
            out[name] = str(value)
    return out


def of_actions(actions: Sequence[Intent], *, latest: bool = False) -> dict[str, str]:
    """The entities the actions' arguments name. `latest`: the last action naming one wins (an LLM's
    understanding as it changed over the call); else the first (the desk's writes)."""
    out: dict[str, str] = {}
    for action in reversed(actions) if latest else actions:
        for entity, keys in {**ENTITY_ARGS, **(SHOWN_ARGS if latest else {})}.items():
            for key in keys:
                value: Any = action.args.get(key)
                if value and entity not in out:
                    out[entity] = str(value)
    return out
