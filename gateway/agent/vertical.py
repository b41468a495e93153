"""The seam between the generic dialog and a business: a vertical.

The dialog (gateway/agent/dialog.py) owns the conversation: every turn parsed for every slot,
the time negotiation, name and phone, the read-back and the yes before anything is written,
re-asks and their strategies. A vertical owns its business: its slots (what a caller says about
what they want), how the thing to book is chosen (search and pick a listing; pick a stylist),
its tools, how its calendar is asked for free times, and what "book it" writes (lead, booking,
text message). `agents/<name>.yaml` names the vertical; `load_vertical` imports it by that name,
so the generic agent never imports a vertical.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from gateway.agent.config import AgentConfig
from gateway.agent.frame import Frame, Slot
from gateway.agent.reask import Question
from gateway.agent.tools import Tool, ToolBox, ToolError
from gateway.agent.turn_parser import Turn


class Stage(enum.Enum):
    NEEDS = "needs"  # what the caller wants is not known yet
    PRESENT = "present"  # options read out, none chosen
    TIME = "time"
    NAME = "name"
    PHONE = "phone"
    CONFIRM = "confirm"  # everything read back, waiting for the caller's yes
    DONE = "done"


@dataclass(frozen=True)
class Resource:
    """What is being booked, once chosen: the calendar resource and how to name it to the caller."""

    id: str
    owner: str  # the calendar's agent/person id ("" if none)
    time_zone: str
    label: str  # "4060 Meadow Rd", "Dr. Lee"


@dataclass(frozen=True)
class Step:
    lines: list[str] = field(default_factory=list)
    done: bool = False  # True: this part is settled, the dialog goes on to the next


class Outcome(enum.Enum):
    BOOKED = "booked"
    TIME_GONE = "time_gone"  # the time was taken in the meantime
    PHONE_REJECTED = "phone_rejected"


@dataclass(frozen=True)
class Committed:
    outcome: Outcome
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Answered:
    """A flow's answer to a caller's question. `whole`: the turn was only that question (then it picks
    nothing, and the dialog asks its open question again unless the answer `asks` one of its own);
    otherwise the answer is said and the rest of the turn goes on as usual."""

    lines: list[str]
    whole: bool
    asks: bool = False


class Host(Protocol):
    """What the dialog offers a vertical's flow."""

    config: AgentConfig
    tools: ToolBox
    call_id: str
    frame: Frame

    def now(self) -> datetime: ...

    def ask(self, question: Question) -> list[str]: ...

    def apology(self, exc: ToolError, doing: str, retry: Callable[[], Awaitable[list[str]]]) -> list[str]: ...

    def offer_retry(self, lines: list[str], retry: Callable[[], Awaitable[list[str]]]) -> list[str]:
        """Say `lines` (which ask "shall I try again?"); a yes runs `retry`."""
        ...


class Flow(Protocol):
    """One call's business logic (made per call by `Vertical.flow`)."""

    noun: str  # what is booked: "showing", "table", "visit"
    chosen: str  # what the caller chooses before the time: "home", "table" ("the home" can be changed)

    @property
    def slots(self) -> Sequence[Slot]: ...

    @property
    def stage(self) -> Stage | None:
        """NEEDS or PRESENT while the thing to book is not chosen; None once it is."""
        ...

    @property
    def expecting(self) -> str | None:
        """The slot the flow asks for while it is not settled ("city", "listing")."""
        ...

    @property
    def resource(self) -> Resource | None: ...

    async def settle(self, turn: Turn) -> Step:
        """Take the turn's business slots; say what is needed until the thing to book is chosen."""
        ...

    def choose_again(self) -> list[str]:
        """The caller wants another of what was chosen ("no, I wanted the home on …", the street not
        heard): forget the choice and ask which, the choices given again."""
        ...

    def answer(self, turn: Turn) -> Answered | None:
        """The answer to a caller's question about what is offered ("how many bathrooms does the first
        one have?"), from its data; None when the turn asks none (or asks for something else: "what
        about four bedrooms?" is a new search)."""
        ...

    async def free_slots(self, start: datetime, end: datetime, count: int) -> list[datetime]:
        """Free start times of the chosen resource in [start, end), earliest first (ToolError on failure)."""
        ...

    def summary(self) -> str:
        """The booking in words for the read-back: "a showing of 4060 Meadow Rd in Denver"."""
        ...

    async def commit(self) -> Committed:
        """After the caller's yes: write, book and confirm (the frame holds when, name and phone).
        A service that fails raises ToolError: the dialog apologises and offers to try again."""
        ...


class Vertical(Protocol):
    name: str
    tools: Sequence[Tool]

    def flow(self, host: Host) -> Flow: ...


def load_vertical(name: str) -> Vertical:
    """The vertical an agent names: `real_estate` -> the `verticals.real_estate` module's VERTICAL;
    a dotted name is imported as it is (a vertical that ships elsewhere, e.g. in the tests)."""
    module = importlib.import_module(name if "." in name else f"verticals.{name}")
    vertical: Vertical = module.VERTICAL
    return vertical
