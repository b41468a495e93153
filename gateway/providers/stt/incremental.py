"""Whisper while the caller speaks: the growing turn re-decoded on a budget, so the final text is
(usually) ready when the turn ends instead of one whole decode after it.

Whisper has no streaming mode, and a decode costs about the same whatever the turn's length (its
encoder always reads a 30 s window: ~0.4-0.6 s for tiny.en on this machine's 2 cores). So the
session decodes the turn so far, at most one decode in flight, on the STT's one worker thread at
interim priority (gateway/providers/stt/decode_worker.py):
- when the caller pauses (`pause_ms` of quiet after speech): the pause may be the turn's end, and
  the endpointing waits longer than that (600 ms of silence by default) before it says so;
- and while speech goes on, every `every_s` of new audio, for interim text (`transcript.interim`).
A decode is only started when the worker is idle: with several callers the worker's time goes to
final decodes first, and interim ones use what is left (at 3 callers at once, queued interims had
made the final text later than decoding whole turns). A decode still queued (behind a final) when
the caller pauses is replaced by the pause's; one still queued when the turn ends is decoded again
at final priority.

A pause's decode hears the turn so far plus quiet at the line's level, made up to the length the
endpointing waits (learnt from the last turn), so its audio is the audio the whole turn will be
(see _with_tail).

When the turn ends, the last decode is the final text if it was made with the same expectation
(SpeechContext) and nothing but quiet (`pause_ms` at least) follows its cut: what whisper would
have heard beyond it is trailing silence. If that decode is still running it is awaited; otherwise
the whole turn is decoded at final priority, exactly as a per-turn session does. A tail decode
(only the audio after the cut) would cost the same 30 s window and lose the words' context, so
there is none.

The session learns where turns are from our VAD (`feed_vad`, after each frame's `feed`); without
it, it is a per-turn session. Its picture of the turn is checked sample for sample against the
audio the endpointing hands over before any decode of it is reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import structlog

from gateway.media.pcm import FRAME_SECONDS, IN_RATE, Pcm
from gateway.providers.stt import Interim, Settled, Transcript, Unsettled
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext

log = structlog.get_logger("gateway.stt")


class SubmitsDecodes(Protocol):
    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        """Queue a decode on the STT's worker (interim ones behind every final one)."""
        ...

    @property
    def idle(self) -> bool:
        """The STT's worker has nothing running or waiting."""
        ...


@dataclass(frozen=True)
class IncrementalSettings:
    # New turn audio between two interim decodes while speech goes on. Each decode holds the worker
    # for ~0.5 s, and a decode still running when the caller pauses delays the pause's decode (on 12
    # held-out turns, 1 s left 9 finals later than 150 ms after the turn's end, 2 s left 5).
    every_s: float = 2.0
    pause_ms: float = 120.0  # quiet after speech that asks for a decode at once
    # A frame counts as speech at or above this VAD probability: the endpointing's stop threshold.
    speech_threshold: float = 0.35
    history_frames: int = 100  # frames kept before a turn opens (the turn's preroll is taken from them)
    tail_frames: int = 30  # quiet that ends a turn until one has ended: the VAD-only 600 ms

    @property
    def every_frames(self) -> int:
        return max(1, round(self.every_s / FRAME_SECONDS))

    @property
    def pause_frames(self) -> int:
        return max(1, round(self.pause_ms / 1000 / FRAME_SECONDS))


@dataclass
class _Decode:
    cut: int  # frames of the turn it heard
    context: SpeechContext
    future: Future[Transcript]


@dataclass
class _Turn:
    frames: list[Pcm]
    aligned: bool  # the frames are the endpointing's turn from its first frame
    last_speech: int = -1  # index of the last frame at or above the speech threshold
    open: bool = True
    running: _Decode | None = None  # the decode in flight (queued or running)
    done: _Decode | None = None  # the latest one that finished with text
    interim: str = ""
    settled: bool = False  # `settled` was said for it, and the caller has not spoken since

    def quiet_after(self, cut: int, pause: int) -> bool:
        """Only quiet from `pause` frames before `cut` to the end: nothing said after the cut."""
        return self.last_speech < cut - pause


class IncrementalSession:
    def __init__(
        self, stt: SubmitsDecodes, on_interim: Interim | None = None, settings: IncrementalSettings | None = None
    ) -> None:
        self._stt = stt
        self._on_interim = on_interim
        self.s = settings or IncrementalSettings()
        self._context = NO_CONTEXT
        self._frame: Pcm | None = None  # fed, not yet placed by feed_vad
        self._history: deque[tuple[Pcm, bool]] = deque(maxlen=self.s.history_frames)
        self._turn: _Turn | None = None  # open, or ended and not yet asked for
        # Quiet after the last word that the endpointing waited for before it ended the last turn.
        self._tail_frames = self.s.tail_frames
        self._noise = np.random.default_rng(0)  # made-up quiet on a noisy line (seeded: runs repeat)
        self._closed = False
        self._settled: Settled | None = None
        self._unsettled: Unsettled | None = None
        self.reused = 0  # turns whose final text was a decode made while the caller spoke
        self.decoded = 0  # decodes submitted (interim and final)

    # --- the SttSession interface ---------------------------------------------------

    def feed(self, frame: Pcm) -> None:
        self._frame = frame

    def feed_opus(self, packet: bytes | None) -> None:
        return None

    def watch_pauses(self, settled: Settled, unsettled: Unsettled) -> None:
        self._settled, self._unsettled = settled, unsettled

    def expect(self, context: SpeechContext) -> None:
        self._context = context

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        frame, self._frame = self._frame, None
        if frame is None or self._closed:
            return
        is_speech = speech >= self.s.speech_threshold
        turn = self._turn
        if turn is not None and turn.open:
            turn.frames.append(frame)
            if is_speech:
                turn.last_speech = len(turn.frames) - 1
                if turn.settled:  # the pause's text is no longer the turn's
                    turn.settled = False
                    if self._unsettled is not None:
                        self._unsettled()
            if turn_frames == 0:
                turn.open = False  # this frame ended it; turn_ended will ask for its text
                if turn.last_speech >= 0:
                    self._tail_frames = min(len(turn.frames) - 1 - turn.last_speech, self.s.history_frames)
            elif turn_frames != len(turn.frames):
                turn.aligned = False  # we missed frames: no decode of ours is trusted for it
            self._schedule()
            return
        self._history.append((frame, is_speech))
        if turn_frames > 0:  # a turn opened on this frame, with its preroll before it
            self._abandon(turn)
            recent = list(self._history)[-turn_frames:]
            turn = _Turn(frames=[f for f, _ in recent], aligned=len(recent) == turn_frames)
            speech_at = [i for i, (_, s) in enumerate(recent) if s]
            turn.last_speech = speech_at[-1] if speech_at else -1
            self._turn = turn
            self._history.clear()

    async def turn_ended(self, audio: Pcm) -> Transcript:
        started = time.perf_counter()
        turn = self._turn
        if turn is not None and turn.open:
            turn = None  # the caller is already in the next turn: leave it be, decode this audio whole
        else:
            self._turn = None
        heard = self._reusable(turn, audio)
        if heard is not None and heard.future.cancel():
            heard = None  # not started yet: decoded again at final priority, ahead of other calls' interims
        if heard is not None:
            try:
                text = await asyncio.wrap_future(heard.future)
            except Exception:
                log.exception("stt_interim_decode_failed")
            else:
                self.reused += 1
                # Everything the decode gave (its text, confidence, any alternatives); the time is the caller's wait.
                waited = time.perf_counter() - started
                return dataclasses.replace(text, seconds=waited, audio_seconds=len(audio) / IN_RATE)
        self._abandon(turn)
        self.decoded += 1
        whole = await asyncio.wrap_future(self._stt.submit(audio, self._context, interim=False))
        return dataclasses.replace(whole, seconds=time.perf_counter() - started)

    async def close(self) -> None:
        self._closed = True
        self._settled = self._unsettled = None  # they refer back to the call
        self._on_interim = None  # so does this one: an ended call is freed without the GC
        self._abandon(self._turn)
        self._turn = None

    # --- what the end of turn may ask -----------------------------------------------

    @property
    def interim(self) -> str:
        """The latest text of the open turn ("" before its first decode, or when no turn is open)."""
        return self._turn.interim if self._turn is not None and self._turn.open else ""

    def said_so_far(self) -> tuple[Transcript, SpeechContext] | None:
        """The open turn's text, if its latest decode heard all of the speech so far and the quiet
        after it, with the expectation it was decoded with (VOICEPOD_END_OF_TURN=text reads it at a
        pause); None: no such decode (yet), or no turn open."""
        turn = self._turn
        if turn is None or not turn.open or turn.done is None or turn.done.context != self._context:
            return None
        if not turn.quiet_after(turn.done.cut, self.s.pause_frames):
            return None
        return turn.done.future.result(), turn.done.context

    # --- scheduling -----------------------------------------------------------------

    def _schedule(self) -> None:
        turn = self._turn
        if turn is None or not turn.open or self._closed:
            return
        heard = len(turn.frames)
        paused = heard - 1 - turn.last_speech >= self.s.pause_frames
        pause = self.s.pause_frames
        if turn.running is not None:
            # Still queued behind other calls' decodes when the caller pauses: this pause's decode
            # takes its place (one in flight still), rather than following it.
            stale = not turn.quiet_after(turn.running.cut, pause)
            if not (paused and stale and turn.running.future.cancel()):
                return
            turn.running = None
        cut = turn.done.cut if turn.done is not None else 0
        if turn.last_speech < 0:
            return  # nothing said yet
        if paused:
            if turn.done is not None and turn.quiet_after(cut, pause):
                return  # the last decode heard all that was said, and quiet after it: it may be the final text
        elif turn.last_speech < cut or heard - cut < self.s.every_frames:
            return  # interim text: only for new speech, and within the budget
        if not self._stt.idle:
            return  # only the worker's spare time: asked again on the next frame
        audio = np.concatenate(turn.frames)
        if paused:
            audio = self._with_tail(turn, audio)
        decode = _Decode(cut=heard, context=self._context, future=self._stt.submit(audio, self._context, interim=True))
        turn.running = decode
        self.decoded += 1
        loop = asyncio.get_running_loop()

        def finished(_: Future[Transcript]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is ending, nobody to tell
                loop.call_soon_threadsafe(self._decoded, turn, decode)

        decode.future.add_done_callback(finished)

    def _with_tail(self, turn: _Turn, audio: Pcm) -> Pcm:
        """The turn so far with as much quiet after its last word as the endpointing will leave.

        faster-whisper pads the audio to its 30 s window in feature space, not with silence, so
        where the audio ends changes what it writes: decoded with the 120 ms of quiet heard so far,
        half of the held-out turns came back worded differently from the whole turn. With the
        quiet made up to the length the endpointing waited last time (600 ms with the VAD alone),
        at the line's own level, the audio is (on a silent line, exactly) what the whole-turn
        decode will get."""
        quiet = turn.frames[turn.last_speech + 1 :]
        missing = self._tail_frames - len(quiet)
        if missing <= 0 or not quiet:
            return audio
        # The line's own floor: its quietest frame's level (digital silence stays silence). Not the quiet
        # frames themselves: they hold the last word's fading end, and repeated, whisper heard words in it
        # ("750 hours and...").
        floor = min(float(np.sqrt(np.mean(f.astype(np.float32) ** 2))) for f in quiet)
        samples = missing * len(quiet[0])
        if floor < 1.0:
            return np.concatenate([audio, np.zeros(samples, dtype=np.int16)])
        noise = self._noise.normal(0.0, floor, samples)
        return np.concatenate([audio, np.clip(noise, -32768, 32767).astype(np.int16)])

    def _decoded(self, turn: _Turn, decode: _Decode) -> None:
        if turn.running is decode:
            turn.running = None
        if decode.future.cancelled():
            return
        if (error := decode.future.exception()) is not None:
            log.warning("stt_interim_decode_failed", error=repr(error))
            return
        if turn.done is None or decode.cut > turn.done.cut:
            turn.done = decode
        heard = decode.future.result()
        text = heard.text
        if turn.open and turn is self._turn and not self._closed:
            if text and text != turn.interim and self._on_interim is not None:
                self._on_interim(text)
            turn.interim = text
            if self._settles(turn, decode) and self._settled is not None:
                turn.settled = True
                self._settled(heard)
            self._schedule()

    def _settles(self, turn: _Turn, decode: _Decode) -> bool:
        """The decode is what `turn_ended` would reuse if the turn ended now (see _reusable)."""
        return (turn.aligned and turn.done is decode and decode.context == self._context
                and turn.quiet_after(decode.cut, self.s.pause_frames))  # fmt: skip

    def _reusable(self, turn: _Turn | None, audio: Pcm) -> _Decode | None:
        """The decode whose text is the turn's final text, if there is one (see the module's docstring)."""
        if turn is None or turn.open or not turn.aligned:
            return None
        latest = turn.running or turn.done
        if latest is None or latest.context != self._context:
            return None
        if not turn.quiet_after(latest.cut, self.s.pause_frames):
            return None
        heard = sum(len(f) for f in turn.frames)
        if heard != len(audio) or not np.array_equal(np.concatenate(turn.frames), audio):
            return None  # not the endpointing's turn after all
        return latest

    def _abandon(self, turn: _Turn | None) -> None:
        """The turn's queued decode is no longer wanted (a running one finishes, unused)."""
        if turn is not None and turn.running is not None:
            turn.running.future.cancel()
