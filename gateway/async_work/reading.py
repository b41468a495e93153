"""A voicemail read with the live dialog's own rules: every sentence parsed for every slot the
agent's flow knows, plus the time, name, phone and e-mail (gateway/agent/turn_parser.py), a later
value replacing an earlier one as in a call ("no, it's ...")."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.frame import Said
from gateway.agent.numbers import normalise
from gateway.agent.time_phrases import TimeAsk
from gateway.agent.tools import ToolBox
from gateway.agent.turn_parser import parse_turn

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CONTACT = ("time", "choice", "name", "phone", "email")


@dataclass(frozen=True)
class Message:
    text: str
    name: str = ""
    phone: str = ""  # E.164, as the dialog's phone slot writes it
    email: str = ""
    # When the caller asked to be called back ("tomorrow at 10"), if they said.
    asked_time: datetime | None = None
    # The flow's slots heard (city, bedrooms, ...) as read back to a caller.
    wants: Mapping[str, str] = field(default_factory=dict)

    @property
    def interest(self) -> str:
        return "; ".join(f"{name}: {value}" for name, value in self.wants.items())


def read_message(text: str, config: AgentConfig, bus: BusClient, now: datetime) -> Message:
    """`now` in the agent's zone (the message's time: "tomorrow" is the day after it was left)."""
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else ZoneInfo(config.time_zone)
    dialog = FrameDialog(config, ToolBox([], bus), call_id="voicemail", clock=lambda: now)
    slots = dialog.all_slots
    frame = dialog.frame
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if not sentence:
            continue
        said = Said(raw=sentence, text=normalise(sentence), now=now, tz=tz, frame=frame)
        turn = parse_turn(said, slots)
        if frame.get("name"):  # nobody corrects a name on a voicemail: "call me back" is no second name
            turn.values.pop("name", None)
        frame.take(turn.values, turn.values.keys())
    by_name = {slot.name: slot for slot in slots}
    wants = {name: _shown(by_name[name].read_back, value) for name, value in frame.values.items()
             if name not in _CONTACT and name in by_name and value is not None}  # fmt: skip
    asked: Any = frame.get("time")
    return Message(
        text=text, name=str(frame.get("name", "")), phone=str(frame.get("phone", "")),
        email=str(frame.get("email", "")), asked_time=asked.start if isinstance(asked, TimeAsk) else None,
        wants=wants,
    )  # fmt: skip


def _shown(read_back: Any, value: Any) -> str:
    """A slot's value for the lead's notes: its read-back, or a structured value's fields that are set."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and read_back is str:
        return ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(value).items() if v is not None)
    return str(read_back(value))
