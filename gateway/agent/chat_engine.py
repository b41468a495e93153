"""The LLM engine: an OpenAI-compatible chat model that talks and acts through tools.

Each caller turn streams the model's reply; sentences are yielded as they complete,
so the caller hears the first while the rest is generated. Tool calls run through the
same tool box as the dialog agent (schema-checked, over NATS). The engine holds what
the model must not decide: idempotency keys and call ids are set here, a text message
only goes to a number the caller confirmed, and nothing is booked before the caller's yes.

Arguments that fail the schema go back to the model as a corrective message; after
`max_corrections` such retries in a turn, or when the model cannot be reached, the
deterministic dialog takes over for the rest of the call: it replays what the caller
said so far (its slot rules pick up city, budget, listing, time, name and phone;
keys derived from the call id keep replayed writes idempotent) and answers the turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from gateway.agent.caller_id import caller_id_note
from gateway.agent.config import AgentConfig
from gateway.agent.consent import Consent
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import Line
from gateway.agent.genai_spans import chat_span
from gateway.agent.sentences import SentenceBuffer
from gateway.agent.tool_policy import engine_args, model_spec, refusal
from gateway.agent.tools import ToolBox, ToolError
from gateway.agent.usage import FALLBACKS, UsageMeter
from gateway.call_event_types import AgentFallback, CallEvent
from gateway.providers.llm import ChatModel, ModelError, TextDelta, TokenUsage, ToolCallRequest
from gateway.responder import CallerTurn

log = structlog.get_logger("gateway.agent.chat")

GOODBYE = re.compile(r"\b(goodbye|bye now|have a (great|good|nice) (day|evening|one))\b", re.IGNORECASE)
HANDOVER = "Let me take it from here."


class ChatEngine:
    name = "chat"
    wants_text = True

    def __init__(
        self,
        model: ChatModel,
        config: AgentConfig,
        tools: ToolBox,
        dialog: FrameDialog,
        usage: UsageMeter,
        call_id: str,
        emit: Callable[[CallEvent], None] = lambda event: None,
        max_corrections: int = 2,
        max_tool_rounds: int = 6,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        caller_number: str | None = None,
    ) -> None:
        """`caller_number`: the phone network's caller ID (E.164), offered to the caller, used once confirmed."""
        self.model = model
        self.config = config
        self.tools = tools
        self.dialog = dialog
        self.usage = usage
        self.call_id = call_id
        self.emit = emit
        self.max_corrections = max_corrections
        self.max_tool_rounds = max_tool_rounds
        self.fell_back: str | None = None  # why the dialog took over, once it has
        self._said_goodbye = False
        self._caller_said: list[str] = []
        self._consent = Consent(caller_number)  # what the caller confirmed: the tool policy reads it
        self._specs = [model_spec(t) for t in tools.tools.values()]
        prompt = config.instructions.format(
            persona=config.persona, company=config.company, time_zone=config.time_zone, call_id=call_id,
            now=clock().astimezone().isoformat(timespec="minutes"),
        )  # fmt: skip
        if note := caller_id_note(caller_number):
            prompt = f"{prompt}\n\n{note}"
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": prompt}]

    @property
    def ended(self) -> bool:
        return self.dialog.ended if self.fell_back else self._said_goodbye

    @property
    def expecting(self) -> str | None:
        return self.dialog.expecting if self.fell_back else None  # the model's question is not parsed

    async def greeting(self) -> list[Line]:
        self.messages.append({"role": "assistant", "content": self.config.greeting})
        self._consent.agent_said(self.config.greeting)
        return [Line(self.config.greeting)]

    async def respond(self, turn: CallerTurn) -> AsyncIterator[Line]:
        self._caller_said.append(turn.text)
        self._consent.caller_said(turn.text)
        if self.fell_back:
            async for line in self._dialog(turn.text):
                yield line
            return
        self.messages.append({"role": "user", "content": turn.text})
        spoken: set[str] = set()  # a retried round often repeats its preface: say it once
        corrections = 0
        for _ in range(self.max_tool_rounds):
            text, calls = "", []
            sentences = SentenceBuffer()
            failure: ModelError | None = None
            with chat_span(self.model.name) as chat:  # ended with the round, even when a barge-in cuts it
                try:
                    async for event in self.model.stream(self.messages, self._specs):
                        if isinstance(event, TextDelta):
                            text += event.text
                            for sentence in sentences.feed(event.text):
                                if sentence not in spoken:
                                    spoken.add(sentence)
                                    yield Line(sentence)
                        elif isinstance(event, ToolCallRequest):
                            calls.append(event)
                        elif isinstance(event, TokenUsage):
                            self.usage.add(self.model.name, "input_tokens", event.input_tokens)
                            self.usage.add(self.model.name, "output_tokens", event.output_tokens)
                            chat.tokens(event.input_tokens, event.output_tokens)
                except ModelError as exc:
                    chat.failed(exc)
                    failure = exc
                else:
                    chat.finished(len(calls))
            if failure is not None:
                async for line in self._fall_back(f"model_error: {failure}", turn.text, bool(spoken)):
                    yield line
                return
            rest = sentences.flush()
            if rest and rest not in spoken:
                spoken.add(rest)
                yield Line(rest)
            self.messages.append(self._assistant(text, calls))
            self._consent.agent_said(text)
            if not calls:
                self._said_goodbye = bool(GOODBYE.search(text))
                return
            for call in calls:
                output, invalid = await self._run(call)
                corrections += invalid
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(output)})
            if corrections > self.max_corrections:
                async for line in self._fall_back("invalid_tool_arguments", turn.text, bool(spoken)):
                    yield line
                return
        async for line in self._fall_back("too_many_tool_rounds", turn.text, bool(spoken)):
            yield line

    def heard(self, text: str) -> None:
        if self.fell_back:
            self.dialog.heard(text)
            return
        # Barge-in: the model should know what the caller actually heard of its last message.
        for message in reversed(self.messages):
            if message["role"] == "assistant" and message.get("content"):
                message["content"] = f"{text} [interrupted by the caller]" if text else "[interrupted by the caller]"
                break

    async def close(self) -> None:
        return None

    # --- tools ----------------------------------------------------------------

    async def _run(self, call: ToolCallRequest) -> tuple[dict[str, Any], bool]:
        """Run one tool call; (what the model is told, whether its arguments were invalid)."""
        try:
            args = json.loads(call.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            return self._corrective(call.name, f"arguments are not valid JSON: {exc}", ""), True
        tool = self.tools.tools.get(call.name)
        if tool is None:
            return self._corrective(call.name, f"there is no tool named {call.name!r}", ""), True
        args = engine_args(tool, args, self.call_id)
        refused = refusal(tool, args, self._consent)
        if refused:
            return {"error": "refused", "message": refused}, False
        try:
            result = await self.tools.call(call.name, args, call_id=self.call_id)
        except ToolError as exc:
            if exc.kind == "invalid_arguments":
                return self._corrective(call.name, exc.message, exc.field), True
            return {"error": exc.kind, "message": exc.message, "field": exc.field, "reason": exc.reason}, False
        return result.data, False

    def _corrective(self, tool: str, message: str, field: str) -> dict[str, Any]:
        where = f" (field {field})" if field else ""
        log.info("tool_arguments_invalid", call_id=self.call_id, tool=tool, error=message, field=field)
        return {"error": "invalid_arguments", "message": f"{message}{where}. Fix the arguments and call {tool} again."}

    def _assistant(self, text: str, calls: list[ToolCallRequest]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls
            ]
        return message

    # --- the deterministic path ------------------------------------------------

    async def _fall_back(self, reason: str, text: str, said_anything: bool) -> AsyncIterator[Line]:
        log.warning("llm_fallback", call_id=self.call_id, reason=reason)
        FALLBACKS.labels(self.config.name, reason.split(":")[0]).inc()
        self.usage.fallback(f"llm:{reason.split(':')[0]}")
        self.emit(AgentFallback(reason=reason.split(":")[0]))
        self.fell_back = reason
        for earlier in self._caller_said[:-1]:
            await self.dialog.respond(earlier)  # replayed silently to rebuild the slots
        if said_anything:
            yield Line(HANDOVER)
        async for line in self._dialog(text):
            yield line

    async def _dialog(self, text: str) -> AsyncIterator[Line]:
        for line in await self.dialog.respond(text):
            yield Line(line)
