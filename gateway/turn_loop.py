"""One call's turn-taking: hearing -> turns -> replies, barge-in, and resuming after a backchannel.

One loop for every call: it takes what its turn source wants from the link (gateway/turn_sources.py:
our VAD and turn detector, or the STT provider's endpointing), feeds it, and watches for a line
gone quiet mid-turn. The source tells it two things: an onset, and an ended turn.

An onset while the agent is replying (or about to) pauses the reply: the sound stops at the next
frame. When the caller's speech ends, `gateway/interruptions.py` decides: a backchannel ("uh-huh",
a cough) and the reply resumes where it stopped; anything else drops it (`barge_in`) and answers
the caller's turn. With VOICEPOD_RESUME_AFTER_BACKCHANNEL=0 every such onset drops the reply at once.

A reply may be prepared before the turn ends (VOICEPOD_PREEMPTIVE_REPLY): when the caller pauses and
the STT says the text so far is the turn's text if they say no more (`settled`), the responder
works the reply out on a copy of its state and synthesises its first piece; the caller speaking
again drops it, and when the turn ends with the same text it is used at once (else dropped, and
the turn answered as usual). Nothing with side effects runs ahead (gateway/agent/rehearsal.py).

Events: speech.started, agent.paused, agent.resumed, barge_in, turn.ended, transcript.interim,
transcript.final, agent.text, turn.latency, agent.done (gateway/call_events.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog

from bus.contracts import events_pb2
from gateway import call_event_types as ev
from gateway import metrics
from gateway.agent.usage import UsageMeter
from gateway.call_events import EventSink
from gateway.call_trace import NO_TRACE, NO_TURN, CallTrace, TurnTrace
from gateway.interruptions import InterruptionSettings, is_backchannel
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import FRAME_SECONDS, Pcm
from gateway.media.quiet_line import QuietLineWatch
from gateway.no_answer import NoAnswerWatch
from gateway.providers.stt import SttSession, Transcript
from gateway.recorder import CallRecorder
from gateway.responder import CallerTurn, Nudges, PreparedReply, Responder, Speech
from gateway.turn_clock import TurnClock
from gateway.turn_sources import NO_AUDIO, CallerMedia, Ended, MaybeSpeech, NotSpeech, Onset, TurnSignal, TurnSource

log = structlog.get_logger("gateway.turn_loop")
HEARD_BATCH = 10  # frames (200 ms) of caller audio per update of the caller-audio counter


@dataclasses.dataclass
class _Hold:
    """A reply paused by an onset, until the caller's speech is judged."""

    since: float  # monotonic
    timer: asyncio.TimerHandle
    judging: bool = False  # the ended speech is being transcribed


class TurnLoop:
    def __init__(
        self,
        source: TurnSource,
        playout: PlayoutTrack,
        responder: Responder,
        events: EventSink,
        *,
        session: SttSession | None = None,
        stt_name: str = "",
        recorder: CallRecorder | None = None,
        usage: UsageMeter | None = None,
        interruptions: InterruptionSettings | None = None,
        on_goodbye: Callable[[], None] | None = None,
        call_id: str = "",
        rehearse: Callable[[CallerTurn], PreparedReply | None] | None = None,
        trace: CallTrace = NO_TRACE,
        no_answer_seconds: float = 0.0,
    ) -> None:
        """`on_goodbye`: the agent said goodbye and the caller has heard it (hang up); `rehearse`:
        prepare a reply at the caller's pause (the responder's, when it can and it is switched on);
        `trace`: the call's spans (gateway/call_trace.py), a span per turn and its stages;
        `no_answer_seconds`: the caller's silence after a reply before the agent asks if they are
        still there (gateway/no_answer.py; 0: never)."""
        self.source = source
        self.playout = playout
        self.responder = responder
        self.events = events
        self.session = session
        self.stt_name = stt_name
        self.recorder = recorder or CallRecorder(None, call_id)
        self.usage = usage or UsageMeter("")
        self.interruptions = interruptions or InterruptionSettings()
        self._on_goodbye = on_goodbye
        self.call_id = call_id
        self._rehearse = rehearse
        self.trace = trace
        self._turn_trace: TurnTrace = NO_TURN  # the latest turn's, until its reply has played
        self._prepared: PreparedReply | None = None  # for the open turn, at its caller's latest pause
        self.turns = 0
        self.barge_ins = 0
        self.resumed = 0
        self.prepared_used = 0  # replies that went out as prepared at the caller's pause
        self._hold: _Hold | None = None
        self._hushed = False  # paused on a MaybeSpeech, before any onset
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reply_task: asyncio.Task[None] | None = None
        self._hang_up_after: Utterance | None = None
        # The last utterance of a complete reply (or the greeting): agent.done once it has played.
        self._last_line: Utterance | None = None
        self.no_answer = NoAnswerWatch(no_answer_seconds, self._silence)

    # --- hearing ----------------------------------------------------------------

    async def run(self, link: CallerMedia) -> None:
        """Hear the caller until the link's media ends."""
        self.source.start(self._signal, lambda: self.playout.speaking)
        source = self.source

        def line_went_quiet() -> None:
            # The caller's side stopped sending mid-turn: feed the silence the turn source would have heard.
            log.info("caller_audio_stopped", call_id=self.call_id, turn=self.turns + 1, seconds=source.quiet_gap)
            source.line_went_quiet()

        # Not `lambda: self.source.in_turn`: a watch -> callback -> loop -> watch cycle kept every ended
        # call alive until a full GC pass (RSS rose ~1.5 MB/s under churn).
        watch = QuietLineWatch(source.quiet_gap, lambda: source.in_turn, line_went_quiet)
        watching = asyncio.create_task(watch.run())
        frames = 0
        try:
            async for heard in source.hearing(link):
                watch.heard()
                source.hear(heard)
                frames += 1
                if frames == HEARD_BATCH:  # counted in batches: a metric update per frame costs more
                    metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)
                    frames = 0
        finally:
            watching.cancel()
            metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)

    def _agent_busy(self) -> bool:
        return self.playout.speaking or self._replying

    def _signal(self, signal: TurnSignal) -> None:
        if not isinstance(signal, NotSpeech):
            self.no_answer.caller_stirred()
        if isinstance(signal, Onset):
            self._onset()
        elif isinstance(signal, Ended):
            self._ended(signal)
        elif isinstance(signal, MaybeSpeech):
            if self._hold is None and self._agent_busy():
                self.playout.pause()
                self._hushed = True
        elif isinstance(signal, NotSpeech):
            self._unhush()

    def _unhush(self) -> None:
        if self._hushed and self._hold is None:
            self.playout.resume()
        self._hushed = False

    def _onset(self) -> None:
        busy = self._agent_busy()
        self.events.send(ev.SpeechStarted(barge_in=busy))
        expected = self.responder.listening_for()
        self.source.expect(expected)  # digits asked for: the caller may pause between groups
        if self.session is not None:  # a session that decodes during the turn biases it from the start
            self.session.expect(expected)
        if not busy:
            self._unhush()
            return
        self._hushed = False  # the onset's hold (or barge-in) takes over the pause
        if not self.interruptions.resume:
            self._barge_in()
            return
        timer = asyncio.get_running_loop().call_later(self.interruptions.window_ms / 1000, self._window_passed)
        if self._hold is None:
            self.playout.pause()
            self._hold = _Hold(since=time.monotonic(), timer=timer)
            self.events.send(ev.AgentPaused(turn=self.turns))
        else:  # more speech while already paused: its own window
            self._hold.timer.cancel()
            self._hold.timer = timer

    def _ended(self, turn: Ended) -> None:
        clock = TurnClock(ended=time.monotonic(), vad_wait=turn.waited)
        if self._hold is not None and not self._hold.judging:
            self._hold.judging = True
            self._spawn(self._judge(turn, clock))
            return
        if self._hold is not None or self.playout.speaking:
            # A second turn while the first is judged, or a turn that ended while the agent was
            # talking (it resumed after a provider's onset): the caller takes the floor.
            self._barge_in()
        self._take_turn(turn, clock, turn.heard)

    async def _judge(self, turn: Ended, clock: TurnClock) -> None:
        """The caller spoke over the paused reply and stopped: resume it, or drop it and answer."""
        heard = turn.heard
        if heard is None and self.session is not None:
            heard = await self._transcribe(turn.audio)
        if self._hold is None:  # dropped meanwhile by a later turn, which is being answered
            return
        if not is_backchannel(heard.text if heard else None, turn.voiced, self.interruptions):
            self._barge_in()
            self._take_turn(turn, clock, heard)
            return
        if heard is not None:
            self.usage.add(self.stt_name, "audio_seconds", heard.audio_seconds)
        if self.source.speaking:  # speaking again: that speech decides, when it ends or its window passes
            self._hold.judging = False
            return
        self._resume(heard.text if heard else "")

    def _window_passed(self) -> None:
        """Paused for the whole window with no speech judged: the caller still talking is a turn;
        an onset that no turn followed (a provider's, on noise) was nothing."""
        if self._hold is None or self._hold.judging:
            return
        if self.source.speaking:
            self._barge_in()
        else:
            self._resume("")

    def _resume(self, heard: str) -> None:
        assert self._hold is not None
        hold, self._hold = self._hold, None
        hold.timer.cancel()
        paused = time.monotonic() - hold.since
        self.playout.resume()
        self.resumed += 1
        metrics.INTERRUPTIONS.labels("resumed").inc()
        metrics.PAUSED.observe(paused)
        self.events.send(ev.AgentResumed(turn=self.turns, paused_seconds=round(paused, 3), heard=heard))

    def _barge_in(self) -> None:
        """The caller took the floor: the reply is dropped; what of it was heard is kept."""
        self._hushed = False
        if self._hold is not None:
            self._hold.timer.cancel()
            self._hold = None
        self.barge_ins += 1
        self._turn_trace.end("barge_in")
        self._drop_prepared()
        metrics.BARGE_INS.inc()
        metrics.INTERRUPTIONS.labels("interrupted").inc()
        if self._replying:
            assert self._reply_task is not None
            self._reply_task.cancel()
        for u in self.playout.interrupt():
            heard = u.text[: int(len(u.text) * u.heard_fraction)]
            self.responder.heard(u.turn, heard)
            self.events.send(ev.BargeIn(turn=u.turn, heard_fraction=round(u.heard_fraction, 3)))

    # --- replying ---------------------------------------------------------------

    def greet(self, greeting: Speech | None, *, then_hang_up: bool = False) -> None:
        """Say the greeting; `then_hang_up`: it is all there is to say (a voicemail): the call ends once it is heard."""
        if greeting is None:
            if then_hang_up:
                self._goodbye()
            else:
                self._agent_done(0)
            return
        self._last_line = Utterance(audio=greeting.audio, text=greeting.text, on_done=self._agent_said)
        if then_hang_up:
            self._hang_up_after = self._last_line
        self.playout.play(self._last_line)
        self.events.send(ev.AgentText(text=greeting.text, turn=0))

    def typed(self, text: str) -> None:
        """A turn the caller typed rather than said (keys pressed on a phone: DTMF): answered like
        speech, with its text as heard, in the transcript; over a reply it takes the floor."""
        heard = Transcript(text=text, confidence=1.0, seconds=0.0)
        self.no_answer.caller_stirred()
        self._ended(Ended(audio=NO_AUDIO, speech_seconds=0.0, waited=0.0, heard=heard))

    def interim(self, text: str) -> None:
        self.events.send(ev.TranscriptInterim(turn=self.turns + 1, text=text))

    # --- a reply prepared at the caller's pause ----------------------------------------

    def settled(self, heard: Transcript) -> None:
        """The caller paused, and `heard` is the turn's text if they say no more: prepare the reply."""
        if self._rehearse is None or self._agent_busy() or self._hold is not None or not heard.text.strip():
            return  # a caller speaking over the agent is judged first; no words: nothing to prepare
        turn = CallerTurn(index=self.turns + 1, audio=NO_AUDIO, text=heard.text, alternatives=heard.alternatives)
        if self._prepared is not None and self._prepared.answers(turn):
            return
        self._drop_prepared()
        self._prepared = self._rehearse(turn)

    def unsettled(self) -> None:
        """The caller spoke again after a pause: whatever was prepared for it is dropped."""
        self._drop_prepared()

    def _drop_prepared(self) -> None:
        if self._prepared is not None:
            self._prepared.cancel()
            self._prepared = None
            metrics.PREPARED_REPLIES.labels("dropped").inc()

    async def _prepared_for(self, turn: CallerTurn) -> tuple[AsyncIterator[Speech], float] | None:
        """The reply prepared at the caller's pause, if the turn ended as it was prepared for, and
        when its first piece's audio was ready."""
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            return None
        if not prepared.answers(turn):
            prepared.cancel()
            metrics.PREPARED_REPLIES.labels("dropped").inc()
            return None
        speeches = await prepared.take()
        if speeches is None:
            metrics.PREPARED_REPLIES.labels("not_prepared").inc()
            return None
        metrics.PREPARED_REPLIES.labels("used").inc()
        self.prepared_used += 1
        return speeches, prepared.first_ready_at

    @property
    def _replying(self) -> bool:
        return self._reply_task is not None and not self._reply_task.done()

    def _take_turn(self, turn: Ended, clock: TurnClock, heard: Transcript | None) -> None:
        if self.playout.paused:  # never left paused with no hold to undo it: the next reply must be heard
            self.playout.resume()
        self.turns += 1
        self.no_answer.caller_turn()
        metrics.TURNS.inc()
        self.events.send(ev.TurnEnded(turn=self.turns, speech_seconds=round(turn.speech_seconds, 3)))
        if self._replying:
            assert self._reply_task is not None
            self._reply_task.cancel()
        caller = CallerTurn(index=self.turns, audio=turn.audio, text=heard.text if heard else "")
        self._turn_trace.end("superseded")
        self._turn_trace = self.trace.turn(self.turns, clock)
        self._reply_task = self._spawn(self._reply(caller, clock, heard, self._turn_trace))

    async def _transcribe(self, audio: Pcm) -> Transcript:
        assert self.session is not None
        self.session.expect(self.responder.listening_for())  # e.g. digits after "your number?"
        return await self.session.turn_ended(audio)

    async def _reply(self, turn: CallerTurn, clock: TurnClock, heard: Transcript | None, trace: TurnTrace) -> None:
        """`heard`: the turn's text already (the provider's, or transcribed to judge it); otherwise
        our STT session is asked (a typed turn, keys pressed, has its text even without one)."""
        if self.session is not None or heard is not None:
            transcript = heard if heard is not None else await self._transcribe(turn.audio)
            metrics.TURN_LATENCY.labels("stt").observe(transcript.seconds)
            self.usage.add(self.stt_name, "audio_seconds", transcript.audio_seconds)
            final = ev.TranscriptFinal(turn=turn.index, text=transcript.text, confidence=transcript.confidence)
            self.events.send(final)
            self.recorder.turn(events_pb2.SPEAKER_CALLER, transcript.text, confidence=transcript.confidence)
            turn = dataclasses.replace(turn, text=transcript.text, alternatives=transcript.alternatives)
        clock.transcribed = time.monotonic()
        trace.stage("stt", clock.ended, clock.transcribed, {"voicepod.stt": self.stt_name})
        first = True
        prepared = await self._prepared_for(turn)
        clock.prepared = prepared is not None
        with trace.engine():  # the current span while the reply is worked out: tool calls are its children
            async for speech in prepared[0] if prepared is not None else self.responder.reply(turn):
                if first:
                    ready_at = prepared[1] if prepared is not None else None
                    clock.first_piece(time.monotonic(), speech.tts_seconds, ready_at)
                if speech.line != "":  # "": a later piece of a line already shown
                    self.events.send(ev.AgentText(text=speech.shown, turn=turn.index))
                on_start = functools.partial(self._first_audio, clock, trace) if first else None
                last = Utterance(audio=speech.audio, text=speech.text, turn=turn.index, on_done=self._agent_said,
                                 on_start=on_start)  # fmt: skip
                self.playout.play(last)
                first = False
        if first or not self.playout.speaking:
            self._agent_done(turn.index)  # nothing to say, or all of it already played
            trace.end("done")
        else:
            self._last_line = last
        if getattr(self.responder, "ended", False):
            # The agent said goodbye: hang up once the caller has heard it.
            self._hang_up_after = last if not first else None
            if self._hang_up_after is None:
                self._goodbye()

    def _agent_said(self, utterance: Utterance, complete: bool) -> None:
        heard = utterance.text if complete else utterance.text[: int(len(utterance.text) * utterance.heard_fraction)]
        self.recorder.turn(events_pb2.SPEAKER_AGENT, heard, interrupted=not complete)
        if utterance is self._last_line:
            self._last_line = None
            if complete:  # the whole reply has been played: the caller's turn
                self._agent_done(utterance.turn)
                if self._turn_trace.index == utterance.turn:
                    self._turn_trace.end("done")
        if utterance is self._hang_up_after and complete:
            self._goodbye()

    def _agent_done(self, turn: int) -> None:
        self.events.send(ev.AgentDone(turn=turn))
        if self._hang_up_after is None and not getattr(self.responder, "ended", False):
            self.no_answer.agent_done()  # the caller's turn: the silence clock starts

    def _silence(self, times: int) -> None:
        """The caller said nothing after the agent's reply, for the `times`-th time in a row."""
        if self._agent_busy() or self.source.in_turn or self._hold is not None:
            return  # the caller or the agent is speaking after all: no nudge needed
        if isinstance(self.responder, Nudges):
            self._reply_task = self._spawn(self._nudge(self.responder, times))

    async def _nudge(self, responder: Nudges, times: int) -> None:
        last = None
        async for speech in responder.nudge(times):
            self.events.send(ev.AgentText(text=speech.text, turn=self.turns))
            last = Utterance(audio=speech.audio, text=speech.text, turn=self.turns, on_done=self._agent_said)
            self.playout.play(last)
        if last is None:
            return
        self._last_line = last
        if getattr(self.responder, "ended", False):
            self._hang_up_after = last  # gave up: hang up once the goodbye is heard

    def _goodbye(self) -> None:
        if self._on_goodbye is not None:
            self._on_goodbye()

    def _first_audio(self, clock: TurnClock, trace: TurnTrace, utterance: Utterance) -> None:
        split = clock.split(time.monotonic())
        trace.first_audio(clock, split)
        for stage, key in (("agent", "agent"), ("tts", "tts_first"), ("gateway", "gateway"), ("total", "total")):
            metrics.TURN_LATENCY.labels(stage).observe(split[key])
        seconds = {f"{k}_seconds": round(v, 3) for k, v in split.items()}
        self.events.send(ev.TurnLatency(turn=utterance.turn, prepared=clock.prepared, **seconds))

    # --- lifetime ---------------------------------------------------------------

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> list[asyncio.Task[Any]]:
        """The call is ending: stop replying and judging; returns the tasks to wait for."""
        if self._hold is not None:
            self._hold.timer.cancel()
            self._hold = None
        if self._prepared is not None:
            self._prepared.cancel()
            self._prepared = None
        self._turn_trace.end("call_ended")
        self.no_answer.stop()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        return tasks

    def release(self) -> None:
        """The call has ended: let go of what refers back to it (freed by reference counting)."""
        self.source.release()
        self.no_answer.release()
        self._on_goodbye = self._rehearse = None
        self._prepared = None
        self._turn_trace = NO_TURN
        self._reply_task = self._last_line = self._hang_up_after = None
