"""Frames and slots: what a flow needs to know, and how each piece is heard, asked and read back.

A slot is one piece of information (a city, a time, a phone number). Its parser runs over EVERY
caller turn, whatever was asked, so a caller who answers out of order, or says three things at
once, is understood. The frame holds what has been heard so far; a newer value replaces an older
one, which is how "no, it's Tuesday" corrects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Said:
    """One caller turn, with what a parser needs to read it in context."""

    raw: str
    text: str  # lower-case, numbers as digits (numbers.normalise)
    now: datetime
    tz: ZoneInfo
    frame: Frame  # what is known so far (e.g. the matches a "the cheaper one" picks from)
    expecting: str | None = None  # the slot the agent asked for last
    # The STT's runners-up for the same audio (most likely first): a phone number missing a digit in
    # the top hearing may be whole in another (gateway/providers/stt/whisper_nbest.py).
    alternatives: tuple[str, ...] = ()


Parser = Callable[[Said], Any]  # a value, or None when the turn does not mention the slot


@dataclass(frozen=True)
class Slot:
    name: str
    parse: Parser
    ask: str = ""  # the question that asks for it
    ask_again: str = ""  # the second wording (the re-ask policy allows two, then changes strategy)
    read_back: Callable[[Any], str] = str
    required: bool = False
    # Words an answer to this slot's question is likely to hold ("a condo, a townhouse"; the streets of
    # the homes read out), given what is known: a speech recogniser's hint when it hears a turn again
    # (gateway/providers/stt/second_hearing.py). None: no such words.
    hint: Callable[[Frame], str | None] | None = None


@dataclass
class Frame:
    """Slot values by name. Attribute access reads a value (None when unknown), so a flow and
    an eval check read `frame.city` without knowing how it is stored."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.__dict__.get("values", {}).get(name)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value

    def clear(self, *names: str) -> None:
        for name in names:
            self.values.pop(name, None)

    def take(self, heard: Mapping[str, Any], names: Iterable[str]) -> list[str]:
        """Store the heard values of `names`; the names whose value changed."""
        changed = []
        for name in names:
            value = heard.get(name)
            if value is not None and value != self.values.get(name):
                self.values[name] = value
                changed.append(name)
        return changed
