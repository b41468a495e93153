"""The agent that recommends in shadow mode: the engine the agent runs on its own calls, fed the
caller's turns, with tools that cannot write (tools.py).

The engine is the deterministic dialog, or, when the agent is configured with an LLM
(VOICEPOD_ENGINE=chat), the LLM chat engine, with the dialog as its fallback as on a live call.
After each caller turn it says what it would reply, which tools it called or would call (with their
arguments; read-only ones ran, so search results and free slots are in it), and what it has
understood so far (`entities`). When its turn reaches a write (the caller said yes to the
read-back), that turn's recommendation is to act, and the call's recommended outcome is that
action with the entities of that moment. The dialog stops at the write (`WouldWrite`); the LLM is
told the write was passed to the desk and finishes its turn (the rest of its writes, its words).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gateway.agent.chat_engine import ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine, Engine
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.agent.vertical import Vertical
from gateway.call_event_types import ShadowRecommendation
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.providers.llm import ChatModel
from gateway.responder import CallerTurn
from gateway.shadow.entities import of_actions, of_dialog
from gateway.shadow.tools import Intent, ShadowChatTools, ShadowTools, WouldWrite

NO_AUDIO = np.zeros(0, dtype=np.int16)  # the engine is given the caller's words, as heard


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


@dataclass
class Advisor:
    config: AgentConfig
    real_tools: ToolBox
    call_id: str
    vertical: Vertical | None = None
    origin: CallOrigin = WEBRTC  # caller ID and the keypad: offered as the agent would on its own call
    model: ChatModel | None = None  # the LLM engine's model; None: the dialog recommends
    recommendations: list[Recommendation] = field(default_factory=list)
    outcome: Recommendation | None = None  # the first turn where it would have acted

    def __post_init__(self) -> None:
        self.tools = ShadowTools(self.real_tools)
        self.usage = UsageMeter(self.config.name)  # an LLM's tokens: the shadow call's cost
        self.dialog = FrameDialog(self.config, self.tools, self.call_id, vertical=self.vertical,
                                  caller_number=self.origin.caller_number, typing=self.origin.typing)  # fmt: skip
        self.engine: Engine = DialogEngine(self.dialog)
        if self.model is not None:
            self.engine = ChatEngine(self.model, self.config, ShadowChatTools(self.tools, self.real_tools), self.dialog,
                                     self.usage, self.call_id, caller_number=self.origin.caller_number)  # fmt: skip

    async def greeting(self) -> Recommendation:
        lines = await self.engine.greeting()
        rec = Recommendation(0, "", " ".join(line.text for line in lines), (), self.entities())
        self.recommendations.append(rec)
        return rec

    async def hear(self, text: str) -> Recommendation:
        """The caller said `text`: what the agent would do now."""
        ran, refused = len(self.tools.ran), len(self.tools.refused)
        lines: list[str] = []
        stopped = False
        try:
            async for line in self.engine.respond(CallerTurn(len(self.recommendations), NO_AUDIO, text)):
                lines.append(line.text)
        except WouldWrite:
            stopped = True  # the dialog reached a write: its turn ends there
        writes = self.tools.refused[refused:]
        rec = Recommendation(len(self.recommendations), text, " ".join(lines), (*self.tools.ran[ran:], *writes),
                             self.entities(), commits=stopped or bool(writes))  # fmt: skip
        self.recommendations.append(rec)
        if rec.commits and self.outcome is None:
            self.outcome = rec
        return rec

    def entities(self) -> dict[str, str]:
        """What it has understood: the dialog's frame, or an LLM's tool calls so far (its fallback, the
        dialog, once it has taken over)."""
        if isinstance(self.engine, ChatEngine) and not self.engine.fell_back:
            return of_actions(self.tools.intents, latest=True)
        return of_dialog(self.dialog)

    @property
    def latest(self) -> Recommendation | None:
        return self.recommendations[-1] if self.recommendations else None

    async def close(self) -> None:
        await self.engine.close()
