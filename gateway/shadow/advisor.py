"""The agent that recommends in shadow mode: the same dialog the agent runs on its own calls, fed
the caller's turns, with a tool runner that cannot write (tools.py).

After each caller turn it says what it would reply, which tools it called or would call (with their
arguments; read-only ones ran, so search results and free slots are in it), and what it has
understood so far (`entities`). When its turn reaches a write (the caller said yes to the
read-back), that turn's recommendation is to act, and the call's recommended outcome is that
action with the entities of that moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import Vertical
from gateway.call_event_types import ShadowRecommendation
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.shadow.tools import Intent, ShadowTools, WouldWrite


@dataclass(frozen=True)
class Recommendation:
    turn: int  # the caller's turn it answers (0: the greeting)
    caller_text: str
    reply: str
    actions: tuple[Intent, ...]
    entities: dict[str, str]
    commits: bool = False  # here the agent would have acted (a write it did not make)

    def as_event(self) -> ShadowRecommendation:
        return ShadowRecommendation(turn=self.turn, caller_text=self.caller_text, reply=self.reply,
                                    commits=self.commits, actions=[a.as_event() for a in self.actions],
                                    entities=self.entities)  # fmt: skip


def entities(dialog: FrameDialog) -> dict[str, str]:
    """What the dialog has understood, as text: the flow's plain slots (city, bedrooms, ...), the
    chosen resource (a listing: its id, how it is named, its time zone), the held time, the name and
    the phone number."""
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


@dataclass
class Advisor:
    config: AgentConfig
    real_tools: ToolBox
    call_id: str
    vertical: Vertical | None = None
    origin: CallOrigin = WEBRTC  # caller ID and the keypad: offered as the agent would on its own call
    recommendations: list[Recommendation] = field(default_factory=list)
    outcome: Recommendation | None = None  # the first turn where it would have acted

    def __post_init__(self) -> None:
        self.tools = ShadowTools(self.real_tools)
        self.dialog = FrameDialog(self.config, self.tools, self.call_id, vertical=self.vertical,
                                  caller_number=self.origin.caller_number, typing=self.origin.typing)  # fmt: skip

    def greeting(self) -> Recommendation:
        rec = Recommendation(0, "", " ".join(self.dialog.greeting()), (), entities(self.dialog))
        self.recommendations.append(rec)
        return rec

    async def hear(self, text: str) -> Recommendation:
        """The caller said `text`: what the agent would do now."""
        ran, refused = len(self.tools.ran), len(self.tools.refused)
        commits = False
        try:
            lines = await self.dialog.respond(text)
        except WouldWrite:
            lines, commits = [], True
        actions = (*self.tools.ran[ran:], *self.tools.refused[refused:])
        rec = Recommendation(len(self.recommendations), text, " ".join(lines), actions, entities(self.dialog), commits)
        self.recommendations.append(rec)
        if commits and self.outcome is None:
            self.outcome = rec
        return rec

    @property
    def latest(self) -> Recommendation | None:
        return self.recommendations[-1] if self.recommendations else None
