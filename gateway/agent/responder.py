"""The agent as the call's responder: the engine decides what to say, TTS says it.

Lines are spoken as they arrive, sentence by sentence, the reply's first sentence cut at a phrase
(gateway/agent/phrases.py): while the first piece plays, the next is synthesised and the engine
keeps generating the rest. A short filler covers a slow first line (a tool
call, a slow model) so the caller is not left in silence, and an engine that fails
becomes an apology, never a dead call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from gateway.agent.engine import AsksAgain, ChecksAnswers, Engine, Line, RehearsingEngine
from gateway.agent.phrases import Piece, ReplyCutter
from gateway.agent.rehearsed_reply import RehearsedReply
from gateway.agent.usage import UsageMeter
from gateway.call_event_types import CallEvent
from gateway.media.ogg_opus import OpusSpeech
from gateway.media.outbound import Voice
from gateway.media.pcm import OUT_RATE, trim_trailing_quiet
from gateway.no_answer import GIVE_UP, MAX_NUDGES, NUDGE
from gateway.providers.stt.context import NO_CONTEXT, SLOTS, SpeechContext
from gateway.providers.tts import TextToSpeech
from gateway.responder import CallerTurn, Speech

log = structlog.get_logger("gateway.agent")

FILLER = "One moment."
NOT_HEARD = "Sorry, I didn't catch that. Could you say it again?"
FAILED = "Sorry, something went wrong on my side. Could you say that again?"
_DONE = object()
PHRASE_PAUSE = int(0.12 * OUT_RATE)  # samples of quiet kept after a first phrase: a comma's pause


@dataclass(frozen=True)
class SpokenPiece:
    """A piece of a line, before its audio."""

    piece: Piece
    line: str | None  # its agent.text: the line it starts, or "" (a later piece of the line)
    pcm: Voice | None = None  # the engine's own audio for the whole line (speech-to-speech)


class AgentResponder:
    def __init__(
        self,
        engine: Engine,
        tts: TextToSpeech,
        usage: UsageMeter | None = None,
        emit: Callable[[CallEvent], None] = lambda event: None,
        filler_after: float = 0.7,
        cities: tuple[str, ...] = (),
        phrases: bool = True,
        voicemail: str = "",
    ) -> None:
        """`phrases`: speak lines as gateway/agent/phrases.py cuts them (the first sentence at a phrase,
        then whole sentences); False: whole lines (as before; the TTS benchmark's baseline)."""
        self.engine = engine
        self.cities = cities  # where the agent searches: likely words when it asks for a city
        self.tts = tts
        self.usage = usage
        self.emit = emit
        self.filler_after = filler_after
        self.phrases = phrases
        self.voicemail_line = voicemail  # the agent config's message for answering machines
        self._voice_cache: dict[str, Voice] = {}
        self._heard_turn = -1  # the turn whose barge-in was last reported to the engine
        self._gave_up = False  # the caller stayed silent through every nudge: goodbye said

    @property
    def ended(self) -> bool:
        return self._gave_up or self.engine.ended

    async def nudge(self, times: int) -> AsyncIterator[Speech]:
        """After the caller's silence: are you still there, and the question again; past
        MAX_NUDGES silences in a row, goodbye (gateway/no_answer.py)."""
        if times > MAX_NUDGES:
            self._gave_up = True
            yield await self._said(GIVE_UP, self._speak(GIVE_UP))
            return
        again = self.engine.question_again() if isinstance(self.engine, AsksAgain) else []
        for text in (NUDGE, *again):
            yield await self._said(text, self._speak(text))

    async def greeting(self) -> Speech | None:
        lines = await self.engine.greeting()
        if not lines:
            return None
        text = " ".join(line.text for line in lines)
        return Speech(text=text, audio=await self._voice(Line(text)))

    async def voicemail(self) -> Speech | None:
        if not self.voicemail_line:
            return None
        return Speech(text=self.voicemail_line, audio=await self._voice(Line(self.voicemail_line)))

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        if self.engine.wants_text and not turn.text.strip():
            yield await self._said(NOT_HEARD, self._speak(NOT_HEARD))
            return
        lines: asyncio.Queue[object] = asyncio.Queue()
        producer = asyncio.create_task(self._produce(turn, lines))
        try:
            first = asyncio.ensure_future(lines.get())
            done, _ = await asyncio.wait({first}, timeout=self.filler_after)
            if not done:
                yield await self._said(FILLER, self._speak(FILLER))
            item = await first
            cutter = ReplyCutter()
            while item is not _DONE:
                assert isinstance(item, Line)
                async for speech in self._line(item, cutter):
                    yield speech
                item = await lines.get()
        finally:
            producer.cancel()  # barge-in cancels the work in flight, not only the audio
            with contextlib.suppress(asyncio.CancelledError):
                await producer

    def heard(self, turn: int, text: str) -> None:
        # The call reports each cut piece in playing order: the one playing, then the queued ones,
        # none of it heard; those must not overwrite what was heard of the first.
        if text or turn != self._heard_turn:
            self.engine.heard(text)
        self._heard_turn = turn

    def listening_for(self) -> SpeechContext:
        """The slot the engine just asked for; with the agent's cities when that is where to look
        (a city list in every turn's prompt would also be text whisper can copy onto other answers)."""
        slot = self.engine.expecting
        # Whether a hearing answers the question, for any question (also ones with no slot of their own:
        # "change the budget, the bedrooms or the area?"): the STT hears a turn again when it does not.
        check, words = None, None
        if isinstance(self.engine, ChecksAnswers):
            check, words = self.engine.answer_check(), self.engine.answer_words()
        if slot not in SLOTS:
            return NO_CONTEXT if check is None else SpeechContext(answer_words=words, answers=check)
        return SpeechContext(slot, self.cities if slot == "city" else (), answer_words=words, answers=check)

    async def close(self) -> None:
        await self.engine.close()

    async def _produce(self, turn: CallerTurn, lines: asyncio.Queue[object]) -> None:
        said = False
        try:
            async for line in self.engine.respond(turn):
                if line.text.strip() or line.pcm is not None:
                    said = True
                    lines.put_nowait(line)
        except Exception:
            log.exception("engine_failed", engine=self.engine.name)
            if not said:
                lines.put_nowait(Line(FAILED))
        finally:
            lines.put_nowait(_DONE)

    async def _said(self, text: str, audio: Awaitable[Voice], line: str | None = None) -> Speech:
        """`text` with its audio, and the time the audio took (for the turn.latency split)."""
        started = time.perf_counter()
        return Speech(text=text, audio=await audio, tts_seconds=time.perf_counter() - started, line=line)

    async def _line(self, line: Line, cutter: ReplyCutter) -> AsyncIterator[Speech]:
        """The line piece by piece, each synthesised only once the one before is handed over: the
        first plays while the next is synthesised, and a cancelled reply synthesises no more."""
        for piece in self.pieces(line, cutter):
            yield await self.spoken(piece)

    def pieces(self, line: Line, cutter: ReplyCutter) -> list[SpokenPiece]:
        """How the line will be spoken: its pieces in order (one, with its own audio, for an engine
        that brought it)."""
        if line.pcm is not None:
            return [SpokenPiece(Piece(line.text, line.text), None, line.pcm)]
        cut = cutter.cut(line.text) if self.phrases else [Piece(line.text, line.text)]
        return [SpokenPiece(piece, line.text if n == 0 else "") for n, piece in enumerate(cut)]

    async def spoken(self, piece: SpokenPiece) -> Speech:
        """One piece with its audio (synthesised now, unless it came with the line)."""
        if piece.pcm is not None:
            return Speech(text=piece.piece.text, audio=piece.pcm)
        speech = await self._said(piece.piece.text, self._speak(piece.piece.say), line=piece.line)
        if piece.piece.cut and not isinstance(speech.audio, OpusSpeech):
            # Its own synthesis ends in a sentence's long silence; mid-sentence, a comma's pause.
            speech = replace(speech, audio=trim_trailing_quiet(speech.audio, PHRASE_PAUSE))
        return speech

    def rehearse(self, turn: CallerTurn) -> RehearsedReply | None:
        """The reply to `turn` worked out ahead on a copy of the engine (gateway/agent/rehearsal.py),
        its first piece synthesised; None when the engine cannot answer ahead."""
        if not turn.text.strip() or not isinstance(self.engine, RehearsingEngine):
            return None  # no words yet: the ordinary path asks the caller again
        copied = self.engine.rehearsal()
        if copied is None:
            return None
        return RehearsedReply(self, self.engine, copied, turn)

    async def _voice(self, line: Line) -> Voice:
        return line.pcm if line.pcm is not None else await self._speak(line.text)

    async def _speak(self, text: str) -> Voice:
        if text in self._voice_cache:
            return self._voice_cache[text]
        pcm = await self.tts.synthesize(text)
        if self.usage is not None:
            self.usage.add(self.tts.name, "characters", len(text))
        if len(text) < 60:  # short stock phrases recur (fillers, prompts)
            self._voice_cache[text] = pcm
        return pcm
