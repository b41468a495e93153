"""OpenAI Realtime as an agent engine: one WebSocket per call through the `openai` SDK
(`AsyncOpenAI.realtime.connect`, the GA protocol), text or audio in, text or audio out.

Why it is built this way:
- Our VAD ends the caller's turns, so the session has no turn detection and the engine
  creates every response itself (`response.create` after the caller's message or audio,
  and again after each round of tool outputs, at most `max_tool_rounds` rounds a turn).
- The connection opens in the background when the greeting is said, so the first turn
  does not wait for the handshake; it is read only inside `respond()`, one turn at a time.
- Barge-in cancels `respond()` mid-stream. The response it was reading is then cancelled
  (`response.cancel`) and, before the next response is created, drained to its
  `response.done` (a conversation has one active response at a time). Responses are
  tagged (realtime/protocol.py), so late events of a cancelled one are skipped.
- Tool calls follow the chat engine's rules (realtime/protocol.py): schema-checked through
  the tool box, failures given back as the function's output, call ids and idempotency keys
  set by the engine; texts only to a number the caller confirmed, bookings only after the caller's yes.
- What the caller actually heard reaches the model at the next turn: in audio mode the
  assistant's audio is truncated there (`conversation.item.truncate`, which also cuts the
  server's transcript); in text mode a system note says what was heard.
- A broken connection, or a server silent for EVENT_SECONDS, fails the turn (the
  responder apologises) and the next turn connects afresh (the new session has no history).
- The call ends (`ended`) when the last sentence of a finished reply says "goodbye"
  ("good-bye", "good bye") and is no question: a conservative rule, since hanging up on a
  caller by mistake is worse than one more turn.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import AsyncIterator, Callable
from typing import Literal

import openai
import structlog
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import (
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemParam,
    RealtimeErrorEvent,
    ResponseAudioDeltaEvent,
    ResponseAudioTranscriptDeltaEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from websockets.exceptions import ConnectionClosed

from gateway.agent.config import AgentConfig
from gateway.agent.consent import Consent
from gateway.agent.engine import Line
from gateway.agent.genai_spans import chat_span
from gateway.agent.realtime.protocol import (
    REALTIME_RATE,
    RealtimeError,
    Responses,
    connect,
    function_output,
    message,
    record_transcription,
    record_usage,
    run_tool,
    session_config,
)
from gateway.agent.realtime.speech import AudioChunker, Spoken, heard_cut, heard_text
from gateway.agent.sentences import SentenceBuffer
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.call_event_types import AgentError, CallEvent, TranscriptFinal
from gateway.media.pcm import IN_RATE, Pcm, resample
from gateway.providers.settings import ProviderSettings
from gateway.responder import CallerTurn

__all__ = ["RealtimeEngine", "RealtimeError"]

log = structlog.get_logger("gateway.agent.realtime")

GOODBYE = re.compile(r"\bgood[- ]?bye\b", re.IGNORECASE)
EVENT_SECONDS = 20.0  # the longest the server may stay silent while a response is open
MIN_AUDIO_SAMPLES = IN_RATE // 10  # the API refuses to commit under 100 ms
INTERRUPTED = {"error": "interrupted", "message": "The caller interrupted before this call finished."}


class RealtimeEngine:
    name = "realtime"

    def __init__(
        self,
        providers: ProviderSettings,
        config: AgentConfig,
        toolbox: ToolBox,
        usage: UsageMeter,
        call_id: str,
        emit: Callable[[CallEvent], None] = lambda event: None,
        max_tool_rounds: int = 6,
        caller_number: str | None = None,
    ) -> None:
        """`caller_number`: the phone network's caller ID (E.164), offered to the caller, used once confirmed."""
        self.providers = providers
        self.config = config
        self.toolbox = toolbox
        self.usage = usage
        self.call_id = call_id
        self.emit = emit
        self.max_tool_rounds = max_tool_rounds
        self.provider = f"openai:{providers.realtime_model}"
        self.audio_out = providers.realtime_output == "audio"
        self._client: openai.AsyncOpenAI | None = None
        self._conn: AsyncRealtimeConnection | None = None
        self._opening: asyncio.Task[AsyncRealtimeConnection] | None = None
        self._cancelling: asyncio.Task[None] | None = None
        self._turn = asyncio.Lock()
        self._ids = itertools.count(1)
        self._responses = Responses()
        self._soft: set[str] = set()  # ids of our events whose errors are only logged
        self._unanswered: set[str] = set()  # ids of function calls without an output yet
        self._context: list[ConversationItemParam] = []  # items for the conversation before the next turn
        self._said: list[Spoken] = []  # the lines of the last reply
        self._heard: list[str] = []  # barge-in reports since the last reply began
        self.caller_number = caller_number
        self._consent = Consent(caller_number)  # what the caller confirmed in this call (the tool policy reads it)
        self._turn_index = 0
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def expecting(self) -> str | None:
        return None  # the model's question is not parsed

    @property
    def wants_text(self) -> bool:
        return self.providers.realtime_input == "text"

    async def greeting(self) -> list[Line]:
        text = self.config.greeting  # spoken by our TTS, and part of the model's conversation
        self._context.append(message("assistant", text))
        if self._conn is None and self._opening is None:
            self._opening = asyncio.create_task(self._connect())
        return [Line(text)]

    async def respond(self, turn: CallerTurn) -> AsyncIterator[Line]:
        async with self._turn:
            conn = await self._connection()
            try:
                await self._settle(conn)
                self._said, self._heard = [], []
                if await self._send_input(conn, turn):
                    async for line in self._rounds(conn):
                        yield line
                last = self._said[-1].text if self._said else ""
                self._ended = bool(GOODBYE.search(last)) and not last.rstrip().endswith("?")
            except (ConnectionClosed, openai.WebSocketConnectionClosedError, TimeoutError) as exc:
                await self._drop()
                raise RealtimeError(f"the Realtime connection failed: {exc!r}") from exc
            finally:
                if self._responses.open and self._conn is not None and self._cancelling is None:
                    self._cancelling = asyncio.create_task(self._cancel(self._conn))

    def heard(self, text: str) -> None:
        self._heard.append(text)  # placed in the reply, and told to the server, at the next turn

    async def close(self) -> None:
        opening, self._opening = self._opening, None
        if opening is not None:
            opening.cancel()
            (result,) = await asyncio.gather(opening, return_exceptions=True)
            if isinstance(result, AsyncRealtimeConnection) and self._conn is None:
                self._conn = result  # it had connected, unused: close it too
        await self._drop()
        if self._client is not None:
            await self._client.close()

    # --- the connection ---------------------------------------------------------

    async def _connection(self) -> AsyncRealtimeConnection:
        if self._conn is None:
            task = self._opening
            if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
                task = self._opening = asyncio.create_task(self._connect())  # none yet, or it failed: now
            try:
                self._conn = await asyncio.shield(task)  # a barge-in does not abort the handshake
            finally:
                if task.done():
                    self._opening = None
        return self._conn

    async def _connect(self) -> AsyncRealtimeConnection:
        if self._client is None:
            base_url = self.providers.openai_base_url or None
            try:
                self._client = openai.AsyncOpenAI(api_key=self.providers.openai_api_key, base_url=base_url,
                                                  max_retries=0)  # fmt: skip
            except openai.OpenAIError as exc:  # no key at all
                raise RealtimeError(f"OpenAI Realtime: {exc}") from exc
        session = session_config(self.providers, self.config, self.toolbox, self.call_id, self.caller_number)
        conn = await connect(self._client, self.providers.realtime_model, session, self._event_id("session"))
        log.info("realtime_connected", call_id=self.call_id, model=self.providers.realtime_model)
        return conn

    async def _drop(self) -> None:
        """Forget the connection and what referred to its conversation; the next turn starts a new one."""
        conn, self._conn, self._responses = self._conn, None, Responses()
        self._unanswered.clear()
        self._said, self._heard = [], []
        if self._cancelling is not None:
            self._cancelling.cancel()
            self._cancelling = None
        if conn is not None:
            try:
                await conn.close()
            except (ConnectionClosed, OSError):
                pass

    def _event_id(self, kind: str, *, soft: bool = False) -> str:
        event_id = f"{kind}-{next(self._ids)}"
        if soft:
            self._soft.add(event_id)
        return event_id

    async def _add(self, conn: AsyncRealtimeConnection, item: ConversationItemParam, *, soft: bool = False) -> None:
        await conn.conversation.item.create(item=item, event_id=self._event_id("item", soft=soft))

    def _track(self, event: object) -> None:
        self._responses.track(event)
        if isinstance(event, ResponseDoneEvent):  # cancelled responses cost too
            record_usage(self.usage, self.provider, event.response.usage)
        elif isinstance(event, ConversationItemInputAudioTranscriptionCompletedEvent):  # audio in, no STT of ours
            self._consent.caller_said(event.transcript)
            record_transcription(self.usage, event.usage)
            self.emit(TranscriptFinal(turn=self._turn_index, text=event.transcript))

    # --- before a turn: what the last one left behind -----------------------------

    async def _cancel(self, conn: AsyncRealtimeConnection) -> None:
        response_id = self._responses.in_flight() or openai.omit
        try:
            await conn.response.cancel(event_id=self._event_id("cancel", soft=True), response_id=response_id)
        except (ConnectionClosed, openai.OpenAIError) as exc:
            log.info("realtime_cancel_failed", call_id=self.call_id, error=repr(exc))

    async def _settle(self, conn: AsyncRealtimeConnection) -> None:
        """Finish what a barge-in interrupted, then tell the server what the caller heard."""
        if self._responses.open and self._cancelling is None:
            self._cancelling = asyncio.create_task(self._cancel(conn))
        if self._cancelling is not None:
            await self._cancelling
            self._cancelling = None
        while self._responses.open:  # the cancelled response's last events, up to its response.done
            self._track(event := await asyncio.wait_for(conn.recv(), EVENT_SECONDS))
            if isinstance(event, RealtimeErrorEvent):
                log.info("realtime_error_after_barge_in", call_id=self.call_id, error=event.error.message)
        while self._unanswered:  # the conversation must not keep a call without its output
            call_id = self._unanswered.pop()
            await self._add(conn, function_output(call_id, INTERRUPTED), soft=True)
        cut = heard_cut(self._said, self._heard)
        if cut is not None and self.audio_out and self._said[cut[0]].item_id:
            spoken = self._said[cut[0]]
            await conn.conversation.item.truncate(item_id=spoken.item_id, content_index=spoken.content_index,
                                                  audio_end_ms=spoken.ms_at(cut[1]),
                                                  event_id=self._event_id("truncate", soft=True))  # fmt: skip
        elif cut is not None and not self.audio_out:
            heard = heard_text(self._said, cut)
            note = (f'The caller interrupted you. Of your last reply they heard only: "{heard}"' if heard
                    else "The caller interrupted you before hearing any of your last reply.")  # fmt: skip
            self._context.append(message("system", note))
        while self._context:
            await self._add(conn, self._context.pop(0), soft=True)

    # --- a turn -------------------------------------------------------------------

    async def _send_input(self, conn: AsyncRealtimeConnection, turn: CallerTurn) -> bool:
        self._turn_index = turn.index
        if turn.text.strip():
            self._consent.caller_said(turn.text)  # our STT's words, also with audio input
        if self.providers.realtime_input == "text":
            if not turn.text.strip():
                return False
            await self._add(conn, message("user", turn.text))
            return True
        if len(turn.audio) < MIN_AUDIO_SAMPLES:
            return False
        pcm = resample(turn.audio, IN_RATE, REALTIME_RATE).astype("<i2")
        await conn.input_audio_buffer.append(audio=base64.b64encode(pcm.tobytes()).decode(),
                                             event_id=self._event_id("audio"))  # fmt: skip
        await conn.input_audio_buffer.commit(event_id=self._event_id("commit"))
        return True

    async def _rounds(self, conn: AsyncRealtimeConnection) -> AsyncIterator[Line]:
        for round_ in range(self.max_tool_rounds + 1):
            last_round = round_ == self.max_tool_rounds  # the model must speak now, without tools
            calls: list[ResponseFunctionCallArgumentsDoneEvent] = []
            async for line in self._response(conn, calls, "none" if last_round else "auto"):
                yield line
            if not calls or last_round:
                if calls:
                    log.warning("realtime_tool_rounds_exceeded", call_id=self.call_id, rounds=round_)
                return
            for call in calls:
                output = await run_tool(self.toolbox, call.name, call.arguments, self.call_id, self._consent)
                await self._add(conn, function_output(call.call_id, output))
                self._unanswered.discard(call.call_id)

    async def _response(
        self,
        conn: AsyncRealtimeConnection,
        calls: list[ResponseFunctionCallArgumentsDoneEvent],
        tool_choice: Literal["auto", "none"],
    ) -> AsyncIterator[Line]:
        tag = self._event_id("response")
        self._responses.asked(tag)
        await conn.response.create(event_id=tag, response={"metadata": {"tag": tag}, "tool_choice": tool_choice})
        with chat_span(self.provider) as chat:  # GenAI: the model, its tokens; failed on an error
            text, audio = SentenceBuffer(), AudioChunker()
            while True:
                event = await asyncio.wait_for(conn.recv(), EVENT_SECONDS)
                mine = self._responses.tag_of(event) == tag
                self._track(event)
                if isinstance(event, RealtimeErrorEvent):
                    if event.error.event_id in self._soft:
                        log.info("realtime_error_expected", call_id=self.call_id, error=event.error.message)
                        continue
                    log.warning(
                        "realtime_error", call_id=self.call_id, code=event.error.code, error=event.error.message
                    )
                    self.emit(AgentError(engine=self.name, code=event.error.code or event.error.type))
                    raise RealtimeError(f"OpenAI Realtime error: {event.error.message}")
                if not mine:
                    continue  # about no response, or a cancelled one's late events
                if isinstance(event, ResponseTextDeltaEvent):
                    for sentence in text.feed(event.delta):
                        yield self._say(Spoken(sentence))
                elif isinstance(event, ResponseAudioTranscriptDeltaEvent):
                    for piece in audio.transcript(event.delta):
                        yield self._say(piece.spoken, piece.pcm)
                elif isinstance(event, ResponseAudioDeltaEvent):
                    for piece in audio.audio(event.item_id, event.content_index, event.delta):
                        yield self._say(piece.spoken, piece.pcm)
                elif isinstance(event, ResponseFunctionCallArgumentsDoneEvent):
                    calls.append(event)
                    self._unanswered.add(event.call_id)
                elif isinstance(event, (ResponseTextDoneEvent, ResponseDoneEvent)):
                    for piece in audio.flush():
                        yield self._say(piece.spoken, piece.pcm)
                    if rest := text.flush():
                        yield self._say(Spoken(rest))
                    if isinstance(event, ResponseDoneEvent):
                        usage = event.response.usage
                        if usage is not None:
                            chat.tokens(usage.input_tokens or 0, usage.output_tokens or 0)
                        if event.response.status == "failed":
                            details = event.response.status_details
                            raise RealtimeError(f"the response failed: {details.error if details else 'no details'}")
                        chat.finished(len(calls))
                        return

    def _say(self, spoken: Spoken, pcm: Pcm | None = None) -> Line:
        self._said.append(spoken)
        self._consent.agent_said(spoken.text)
        return Line(spoken.text, pcm)
