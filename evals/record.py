"""What one replayed call looked like: the turns as said and answered, the agent's final state and
the rows it left behind. Text and audio mode both fill one in; the checks read only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from evals.effects import Effects
from evals.tap import ToolCall
from gateway.agent.frame import Frame


@dataclass
class TurnRecord:
    index: int  # 1-based, as the caller says them
    said: str  # the caller's line
    replies: list[str] = field(default_factory=list)  # the agent's reply, line by line
    latency_ms: float | None = None  # text: the agent's time; audio: end of speech to first reply audio
    barge_in: bool = False
    heard_as: str | None = None  # audio: what the gateway's STT made of the caller's line
    reply_heard_as: str | None = None  # audio: the agent's reply transcribed back from its audio
    repeated: bool = False  # audio: met by silence (not even an onset heard), the caller said it again

    @property
    def reply(self) -> str:
        return " ".join(self.replies)


@dataclass
class CallRecord:
    call_id: str
    mode: str
    clock: datetime  # the agent's "now" (fixed by the scenario, or the real time at the start)
    greeting: list[str] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    hung_up: bool = False  # the caller hung up before its last line (hang_up_after)
    ended: bool = False  # the agent said goodbye
    stage: str | None = None
    slots: Frame | None = None
    effects: Effects = field(default_factory=Effects)
    tool_calls: list[ToolCall] = field(default_factory=list)  # write requests, by caller turn (evals.tap)
    problem: str | None = None  # audio: why the caller stopped early (no reply, the call dropped)
    channel: str = ""  # audio: the call's channel as the gateway recorded it (webrtc, phone)

    def all_replies(self) -> list[str]:
        return [*self.greeting, *(line for t in self.turns for line in t.replies)]
