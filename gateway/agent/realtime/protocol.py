"""The Realtime protocol as the engine uses it: the session it asks for, which response
an event belongs to, and how tool calls and usage cross over.

- The session: the agent's instructions (placeholders filled per call), the tool box's
  tools as Realtime function tools, one output modality, PCM at 24 kHz both ways, and no
  server turn detection: our VAD ends the caller's turns and the engine creates every
  response itself.
- Responses: every `response.create` carries a tag (its event id, also `metadata.tag`,
  which the server echoes), so each event is placed by response id, whether it belongs to
  the response being read or to one a barge-in cancelled. A response is open from its
  `response.create` to its `response.done` (or the error refusing it).
- A function call's arguments are JSON text from the model; they go through the tool box
  (schema check, then the service over NATS). Whatever fails becomes the function's output
  (`{"error": kind, "message": ..., "field": ...}`) so the model can correct itself or tell
  the caller, never an exception that ends the turn. What the model must not decide is
  decided here, by the chat engine's rules: the model never sees call ids and idempotency
  keys (the engine sets them), and the shared tool policy (consent.py) holds: a text only to a number the
  caller confirmed, a booking or a lead only after the caller's yes.
  With audio input and no STT of ours, the session transcribes the caller for that check.
- Usage: text and audio tokens are priced differently, so `input_tokens`/`output_tokens`
  count text tokens only and audio tokens go to `audio_input_tokens`/`audio_output_tokens`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openai
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import (
    ConversationItemParam,
    RealtimeErrorEvent,
    RealtimeResponseUsage,
    RealtimeSessionCreateRequestParam,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    SessionUpdatedEvent,
)
from openai.types.realtime.conversation_item_input_audio_transcription_completed_event import (
    UsageTranscriptTextUsageDuration,
    UsageTranscriptTextUsageTokens,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from gateway.agent.caller_id import caller_id_note
from gateway.agent.config import AgentConfig
from gateway.agent.consent import Consent
from gateway.agent.tool_policy import engine_args, model_spec, refusal
from gateway.agent.tools import Tool, ToolBox, ToolError
from gateway.agent.usage import UsageMeter
from gateway.providers.settings import ProviderSettings

REALTIME_RATE = 24_000  # Hz: the PCM the Realtime API takes and gives
PCM_FORMAT: dict[str, Any] = {"type": "audio/pcm", "rate": REALTIME_RATE}
CONNECT_SECONDS = 10.0
TRANSCRIBE_MODEL = "gpt-4o-mini-transcribe"


class RealtimeError(Exception):
    """The Realtime session failed this turn: no connection, or the server reported an error."""


async def connect(
    client: openai.AsyncOpenAI, model: str, session: RealtimeSessionCreateRequestParam, event_id: str
) -> AsyncRealtimeConnection:
    """A connection whose session the server has accepted (`session.updated`), or a RealtimeError saying why not.

    The SDK derives the URL from the client's base_url (http -> ws, https -> wss, then
    `/realtime?model=...`) and sends the key as a Bearer header. It reconnects only when
    given `on_reconnecting`, which we do not: a lost connection fails the turn instead.
    """
    try:
        async with asyncio.timeout(CONNECT_SECONDS):
            conn = await client.realtime.connect(model=model).enter()
    except InvalidStatus as exc:
        status = exc.response.status_code
        hint = " (check OPENAI_API_KEY)" if status in (401, 403) else ""
        raise RealtimeError(f"OpenAI Realtime refused the connection: HTTP {status}{hint}") from exc
    except (OSError, TimeoutError, WebSocketException, openai.OpenAIError) as exc:
        raise RealtimeError(f"could not connect to OpenAI Realtime: {exc!r}") from exc
    try:
        await conn.session.update(session=session, event_id=event_id)
        async with asyncio.timeout(CONNECT_SECONDS):
            while not isinstance(event := await conn.recv(), SessionUpdatedEvent):
                if isinstance(event, RealtimeErrorEvent):
                    raise RealtimeError(f"OpenAI Realtime refused the session: {event.error.message}")
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, (TimeoutError, ConnectionClosed)):
            raise RealtimeError(f"OpenAI Realtime did not accept the session: {exc!r}") from exc
        raise
    return conn


def message(role: Literal["user", "assistant", "system"], text: str) -> ConversationItemParam:
    kind = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}  # type: ignore[return-value,misc]


def function_output(call_id: str, output: object) -> ConversationItemParam:
    return {"type": "function_call_output", "call_id": call_id, "output": json.dumps(output)}


def instructions(config: AgentConfig, call_id: str, now: datetime, caller_number: str | None = None) -> str:
    """The system prompt with its placeholders filled (replaced one by one, so other braces stay as written),
    and what to do with the caller ID when the call has one (caller_id.py)."""
    values = {"persona": config.persona, "company": config.company, "time_zone": config.time_zone,
              "now": now.strftime("%A %Y-%m-%d %H:%M %Z").strip(), "call_id": call_id}  # fmt: skip
    text = config.instructions
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    note = caller_id_note(caller_number)
    return f"{text}\n\n{note}" if note else text


def function_tool(tool: Tool) -> dict[str, Any]:
    """A tool as a Realtime function tool (flat, unlike Chat Completions' nested `function`), as the chat
    engine shows it to its model: without the fields the engine fills in."""
    spec = model_spec(tool)["function"]
    return {"type": "function", "name": spec["name"], "description": spec["description"],
            "parameters": spec["parameters"]}  # fmt: skip


def session_config(
    providers: ProviderSettings, config: AgentConfig, tools: ToolBox, call_id: str, caller_number: str | None = None
) -> RealtimeSessionCreateRequestParam:
    now = datetime.now(ZoneInfo(config.time_zone))
    output = providers.realtime_output
    audio: dict[str, Any] = {"input": {"format": PCM_FORMAT, "turn_detection": None}}
    if providers.realtime_input == "audio" and providers.stt == "none":
        audio["input"]["transcription"] = {"model": TRANSCRIBE_MODEL}  # what the caller said, for the guards
    if output == "audio":
        audio["output"] = {"format": PCM_FORMAT}
    return {
        "type": "realtime",
        "instructions": instructions(config, call_id, now, caller_number),
        "tools": [function_tool(t) for t in tools.tools.values()],  # type: ignore[misc]
        "tool_choice": "auto",
        "output_modalities": ["audio" if output == "audio" else "text"],
        "audio": audio,  # type: ignore[typeddict-item]
    }


async def run_tool(toolbox: ToolBox, name: str, arguments: str, call_id: str, consent: Consent) -> dict[str, Any]:
    """The function call's output for the model: the tool's result, or what went wrong."""
    try:
        args = json.loads(arguments or "{}")
    except ValueError as exc:
        return {"error": "invalid_arguments", "message": f"arguments are not valid JSON: {exc}", "field": ""}
    if not isinstance(args, dict):
        return {"error": "invalid_arguments", "message": "arguments must be a JSON object", "field": ""}
    tool = toolbox.tools.get(name)
    if tool is None:
        return {"error": "invalid_arguments", "message": f"there is no tool named {name!r}", "field": ""}
    args = engine_args(tool, args, call_id)
    if refused := refusal(tool, args, consent):
        return {"error": "refused", "message": refused}
    try:
        result = await toolbox.call(name, args, call_id=call_id)
    except ToolError as exc:
        error = {"error": exc.kind, "message": exc.message, "field": exc.field}
        return error | ({"reason": exc.reason} if exc.reason else {})
    return result.data


def record_transcription(meter: UsageMeter, usage: object) -> None:
    """Usage of the session's input transcription (tokens or seconds, as the model bills it)."""
    provider = f"openai:{TRANSCRIBE_MODEL}"
    if isinstance(usage, UsageTranscriptTextUsageDuration):
        meter.add(provider, "audio_seconds", usage.seconds)
    elif isinstance(usage, UsageTranscriptTextUsageTokens):
        audio = (usage.input_token_details.audio_tokens if usage.input_token_details else None) or 0
        meter.add(provider, "audio_input_tokens", audio)
        meter.add(provider, "input_tokens", usage.input_tokens - audio)
        meter.add(provider, "output_tokens", usage.output_tokens)


def record_usage(meter: UsageMeter, provider: str, usage: RealtimeResponseUsage | None) -> None:
    if usage is None:
        return
    given_in, given_out = usage.input_token_details, usage.output_token_details
    audio_in = (given_in.audio_tokens if given_in else None) or 0
    audio_out = (given_out.audio_tokens if given_out else None) or 0
    text_in = given_in.text_tokens if given_in and given_in.text_tokens is not None else None
    text_out = given_out.text_tokens if given_out and given_out.text_tokens is not None else None
    meter.add(provider, "input_tokens", text_in if text_in is not None else (usage.input_tokens or 0) - audio_in)
    meter.add(provider, "output_tokens", text_out if text_out is not None else (usage.output_tokens or 0) - audio_out)
    meter.add(provider, "audio_input_tokens", audio_in)
    meter.add(provider, "audio_output_tokens", audio_out)


class Responses:
    def __init__(self) -> None:
        self.open: dict[str, None] = {}  # tags asked for whose response.done is not read yet, in order
        self._tags: dict[str, str] = {}  # response id -> tag

    def asked(self, tag: str) -> None:
        self.open[tag] = None

    def in_flight(self) -> str | None:
        """The id of the open response the server has started, if any."""
        return next((rid for rid, tag in self._tags.items() if tag in self.open), None)

    def tag_of(self, event: object) -> str | None:
        if isinstance(event, (ResponseCreatedEvent, ResponseDoneEvent)):
            return (event.response.metadata or {}).get("tag") or self._tags.get(event.response.id or "")
        response_id = getattr(event, "response_id", None)
        return self._tags.get(response_id) if isinstance(response_id, str) else None

    def track(self, event: object) -> None:
        """Bookkeeping on any event, whichever response it belongs to."""
        if isinstance(event, ResponseCreatedEvent) and event.response.id:
            # A server that does not echo metadata: responses start in the order they were asked for.
            started = set(self._tags.values())
            tag = self.tag_of(event) or next((t for t in self.open if t not in started), None)
            if tag:
                self._tags[event.response.id] = tag
        elif isinstance(event, ResponseDoneEvent):
            self.open.pop(self.tag_of(event) or "", None)
        elif isinstance(event, RealtimeErrorEvent) and event.error.event_id in self.open:
            self.open.pop(event.error.event_id or "", None)  # that response.create was refused: none comes
