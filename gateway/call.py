"""One call: its media link, its playout, its turn loop and its lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import structlog
from nats.js import JetStreamContext

from bus.contracts import events_pb2
from gateway import metrics
from gateway.agent.usage import UsageMeter
from gateway.link import open_link
from gateway.media.opus_out import silence_packet
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, Pcm
from gateway.media.quiet_line import QuietLineWatch
from gateway.media.vad import VadStream
from gateway.providers.stt import SpeechToText, Transcript, TurnDetectingSession
from gateway.recorder import CallRecorder
from gateway.responder import CallerTurn, Responder
from gateway.settings import GatewaySettings
from gateway.stats import MediaSummary, export
from gateway.turn_clock import TurnClock
from gateway.turns import SpeechStarted, TurnEnded, TurnSettings, detector_for

log = structlog.get_logger("gateway.call")
SILENT_FRAME = np.zeros(IN_FRAME, dtype=np.int16)
NO_AUDIO = np.zeros(0, dtype=np.int16)  # a turn the provider ended: its audio stayed with the provider
HEARD_BATCH = 10  # frames (200 ms) of caller audio per update of the caller-audio counter


def _ended(_call: Call, _reason: str) -> None:
    pass  # what `on_end` becomes once called: the signalling session it came from refers to the call


class Call:
    def __init__(
        self,
        settings: GatewaySettings,
        turn_settings: TurnSettings,
        responder_factory: Callable[[Call], Responder],
        on_end: Callable[[Call, str], None],
        stt: SpeechToText | None = None,
        js: JetStreamContext | None = None,
        agent_name: str = "echo",
        post: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`post` queues a message on the caller's signalling socket (events, when the link has no
        data channel)."""
        self.call_id = uuid.uuid4().hex
        self.started_at = time.time()
        self.settings = settings
        self.turn_settings = turn_settings
        self.stt = stt
        self.agent_name = agent_name
        self._on_end = on_end
        self.playout = PlayoutTrack()
        self.playout.on_stopped = self._stopped_speaking
        self.link = open_link(settings, self.playout, post or (lambda message: None), self._on_ice_state,
                              self._on_connection_state)  # fmt: skip
        metrics.PEER_CONNECTIONS.inc()
        self.events = self.link.events
        self.recorder = CallRecorder(js, self.call_id)
        self.usage = UsageMeter(agent_name)
        # When the STT takes Opus and the link has the caller's packets, it is fed those as they came
        # (no decode or resample for it); the turn loop still decodes for the VAD.
        self.stt_opus = stt is not None and stt.takes_opus and self.link.passes_opus
        # VOICEPOD_TURNS=provider: the STT ends the turns and reports onsets; no VAD runs here.
        self.provider_turns = settings.providers.turns == "provider" and stt is not None and stt.detects_turns
        self.stt_session = stt.open(self._interim, opus=self.stt_opus) if stt is not None else None
        self.responder = responder_factory(self)
        self.media = MediaSummary()
        self.ice_state = "new"
        self.connection_state = "new"
        self.turns = 0
        self.barge_ins = 0
        self.ended: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reply_task: asyncio.Task[None] | None = None
        self._hang_up_after: Utterance | None = None
        self._provider_in_turn = False  # provider turns: speech heard and its turn not yet ended
        # The last utterance of a complete reply (or the greeting): agent.done once it has played.
        self._last_line: Utterance | None = None
        metrics.ICE_STATE.labels(self.ice_state).inc()
        metrics.CONNECTION_STATE.labels(self.connection_state).inc()

    # --- signaling ------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the caller's offer; return our answer (with all our candidates: both links gather first)."""
        answer = await self.link.answer(offer_sdp)
        self._spawn(self._listen_to_provider_turns() if self.provider_turns else self._listen())
        self._spawn(self._poll_stats())
        self._spawn(self._time_limit())
        metrics.CALLS_STARTED.inc()
        log.info("call_answered", call_id=self.call_id, stt_audio="opus" if self.stt_opus else "pcm",
                 turns="provider" if self.provider_turns else "local")  # fmt: skip
        return answer

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        await self.link.add_candidate(candidate, sdp_mid, sdp_mline_index)

    async def hang_up(self, reason: str) -> None:
        """End the call (idempotent): stop the media, close the connection, account for it."""
        if self.ended is not None:
            return
        self.ended = reason
        self.events.send("call.ended", reason=reason)
        self.recorder.call_ended(reason, time.time() - self.started_at, self.usage.ended())
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.playout.stop()
        with contextlib.suppress(Exception):
            await self._measure()  # final figures for the summary
        await self.link.close()
        metrics.PEER_CONNECTIONS.dec()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        for closing in (self.responder.close(), self.stt_session.close() if self.stt_session else None):
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing
        metrics.ICE_STATE.labels(self.ice_state).dec()
        metrics.CONNECTION_STATE.labels(self.connection_state).dec()
        metrics.CALLS_ENDED.labels(reason).inc()
        await self.recorder.flush()
        log.info("call_ended", **self.summary())
        # Let go of the callbacks that refer back to this call (the links drop theirs on close):
        # an ended call is then freed by reference counting, not at the next full GC pass.
        self.playout.release()
        self.events.close()
        # Utterances carry callbacks into the call; a cancelled task's error holds its frame, and so the call.
        self._reply_task = self._last_line = self._hang_up_after = None
        on_end, self._on_end = self._on_end, _ended
        on_end(self, reason)

    def summary(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "started_at": round(self.started_at, 3),
            "duration_seconds": round(time.time() - self.started_at, 3),
            "ice_state": self.ice_state,
            "connection_state": self.connection_state,
            "turns": self.turns,
            "barge_ins": self.barge_ins,
            "frames_sent": self.playout.frames_sent,
            "late_frames": self.playout.late_frames,
            "ended": self.ended,
            "media": self.media.as_dict(),
            "usage": self.usage.as_dict(),
        }

    # --- connection events ----------------------------------------------------

    async def _on_ice_state(self, state: str) -> None:
        metrics.ICE_STATE.labels(self.ice_state).dec()
        self.ice_state = state
        metrics.ICE_STATE.labels(self.ice_state).inc()
        if self.ice_state == "failed":
            self._spawn(self.hang_up("ice_failed"))

    async def _on_connection_state(self, state: str) -> None:
        metrics.CONNECTION_STATE.labels(self.connection_state).dec()
        self.connection_state = state
        metrics.CONNECTION_STATE.labels(self.connection_state).inc()
        if self.connection_state == "connected":
            self.events.send("call.started", call_id=self.call_id)
            self.recorder.call_started(self.agent_name)
            greeting = await self.responder.greeting()
            if greeting is not None:
                self._last_line = Utterance(audio=greeting.audio, text=greeting.text, on_done=self._agent_said)
                self.playout.play(self._last_line)
                self.events.send("agent.text", text=greeting.text, turn=0)
            else:
                self.events.send("agent.done", turn=0)
        elif self.connection_state == "failed":
            self._spawn(self.hang_up("connection_failed"))
        elif self.connection_state == "closed" and self.ended is None:
            self._spawn(self.hang_up("media_closed"))  # the caller closed its connection, not the socket

    # --- the turn loop --------------------------------------------------------

    async def _listen(self) -> None:
        vad = VadStream()
        detector = detector_for(self.turn_settings)

        def hear(frame: Pcm, heard: bool) -> None:
            if self.stt_session is not None:
                self.stt_session.feed(frame)
            agent_busy = self.playout.speaking or self._replying
            speech = vad.push(frame) if heard else 0.0
            event = detector.feed(frame, speech, agent_speaking=agent_busy)
            if self.stt_session is not None:
                if isinstance(event, SpeechStarted):  # an STT that decodes during the turn biases it now
                    self.stt_session.expect(self.responder.listening_for())
                self.stt_session.feed_vad(speech, detector.turn_frames)
            if isinstance(event, SpeechStarted):
                self.events.send("speech.started", barge_in=event.barge_in)
                if event.barge_in:
                    self._barge_in()
            elif isinstance(event, TurnEnded):
                clock = TurnClock(ended=time.monotonic(), vad_wait=event.silence_seconds)
                self.turns += 1
                metrics.TURNS.inc()
                self.events.send("turn.ended", turn=self.turns, speech_seconds=round(event.speech_seconds, 3))
                self._start_reply(CallerTurn(index=self.turns, audio=event.audio), clock)

        gap = self.turn_settings.first_pause_ms / 1000

        def line_went_quiet() -> None:
            # The caller's side stopped sending mid-turn: feed the silence the VAD would have heard.
            # (Not through `watch`: a watch -> callback -> watch cycle kept every ended Call, its peer
            # connection and buffers, alive until a full GC pass; RSS rose ~1.5 MB/s under churn.)
            log.info("caller_audio_stopped", call_id=self.call_id, turn=self.turns + 1, seconds=gap)
            for _ in range(round(gap / FRAME_SECONDS)):
                hear(SILENT_FRAME, False)

        watch = QuietLineWatch(gap, lambda: detector.in_turn, line_went_quiet)
        watching = self._spawn(watch.run())
        frames = 0
        try:
            packets = self.stt_session.feed_opus if self.stt_opus and self.stt_session is not None else None
            async for frame in self.link.caller_audio(packets):
                watch.heard()
                hear(frame, True)
                frames += 1
                if frames == HEARD_BATCH:  # counted in batches: a metric update per frame costs more
                    metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)
                    frames = 0
        finally:
            watching.cancel()
            metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)

    async def _listen_to_provider_turns(self) -> None:
        """The STT ends the caller's turns: every packet (or frame, where the link decodes) goes to it
        and nothing else; on the lean stack nothing is decoded at all."""
        session = cast(TurnDetectingSession, self.stt_session)
        session.detect_turns(self._provider_heard_speech, self._provider_ended_turn)
        feed: Callable[[Any], None] = session.feed_opus if self.stt_opus else session.feed
        # No packets mid-turn (a muted track, DTX, a lost link): the provider hears nothing and cannot
        # end the turn, so it is fed silence (encoded digital silence: a lost-packet stand-in would be
        # concealed as a fading continuation of the last sound, which endpointing may not call quiet).
        quiet = silence_packet() if self.stt_opus else SILENT_FRAME
        gap = self.turn_settings.stop_ms / 1000

        def line_went_quiet() -> None:
            log.info("caller_audio_stopped", call_id=self.call_id, turn=self.turns + 1, seconds=gap)
            for _ in range(round(gap / FRAME_SECONDS)):
                feed(quiet)

        watch = QuietLineWatch(gap, lambda: self._provider_in_turn, line_went_quiet)
        watching = self._spawn(watch.run())
        frames = 0
        try:
            async for heard in self.link.caller_packets() if self.stt_opus else self.link.caller_audio():
                watch.heard()
                feed(heard)
                frames += 1
                if frames == HEARD_BATCH:
                    metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)
                    frames = 0
        finally:
            watching.cancel()
            metrics.CALLER_AUDIO.inc(frames * FRAME_SECONDS)

    def _provider_heard_speech(self) -> None:
        self._provider_in_turn = True
        barge_in = self.playout.speaking or self._replying
        self.events.send("speech.started", barge_in=barge_in)
        if barge_in:
            self._barge_in()

    def _provider_ended_turn(self, transcript: Transcript) -> None:
        self._provider_in_turn = False
        self.turns += 1
        metrics.TURNS.inc()
        self.events.send("turn.ended", turn=self.turns, speech_seconds=round(transcript.audio_seconds, 3))
        clock = TurnClock(ended=time.monotonic(), vad_wait=transcript.waited)
        self._start_reply(CallerTurn(index=self.turns, audio=NO_AUDIO, text=transcript.text), clock, transcript)

    @property
    def _replying(self) -> bool:
        return self._reply_task is not None and not self._reply_task.done()

    def _start_reply(self, turn: CallerTurn, clock: TurnClock, heard: Transcript | None = None) -> None:
        if self._replying:
            assert self._reply_task is not None
            self._reply_task.cancel()
        self._reply_task = self._spawn(self._reply(turn, clock, heard))

    async def _reply(self, turn: CallerTurn, clock: TurnClock, heard: Transcript | None) -> None:
        """`heard`: the provider ended the turn with this text; otherwise our STT session is asked."""
        if self.stt_session is not None:
            if heard is None:
                self.stt_session.expect(self.responder.listening_for())  # e.g. digits after "your number?"
            transcript = heard if heard is not None else await self.stt_session.turn_ended(turn.audio)
            metrics.TURN_LATENCY.labels("stt").observe(transcript.seconds)
            assert self.stt is not None
            self.usage.add(self.stt.name, "audio_seconds", transcript.audio_seconds)
            self.events.send("transcript.final", turn=turn.index, text=transcript.text,
                             confidence=transcript.confidence)  # fmt: skip
            self.recorder.turn(events_pb2.SPEAKER_CALLER, transcript.text, confidence=transcript.confidence)
            turn = dataclasses.replace(turn, text=transcript.text)
        clock.transcribed = time.monotonic()
        first = True
        async for speech in self.responder.reply(turn):
            if first:
                clock.first_line, clock.tts_first = time.monotonic(), speech.tts_seconds
            self.events.send("agent.text", text=speech.text, turn=turn.index)
            last = Utterance(audio=speech.audio, text=speech.text, turn=turn.index, on_done=self._agent_said,
                             on_start=functools.partial(self._first_audio, clock) if first else None)  # fmt: skip
            self.playout.play(last)
            first = False
        if first or not self.playout.speaking:
            self.events.send("agent.done", turn=turn.index)  # nothing to say, or all of it already played
        else:
            self._last_line = last
        if getattr(self.responder, "ended", False):
            # The agent said goodbye: hang up once the caller has heard it.
            self._hang_up_after = last if not first else None
            if self._hang_up_after is None:
                await self.hang_up("agent_hangup")

    def _agent_said(self, utterance: Utterance, complete: bool) -> None:
        heard = utterance.text if complete else utterance.text[: int(len(utterance.text) * utterance.heard_fraction)]
        self.recorder.turn(events_pb2.SPEAKER_AGENT, heard, interrupted=not complete)
        if utterance is self._last_line:
            self._last_line = None
            if complete:  # the whole reply has been played: the caller's turn
                self.events.send("agent.done", turn=utterance.turn)
        if utterance is self._hang_up_after and complete:
            self._spawn(self.hang_up("agent_hangup"))

    def _first_audio(self, clock: TurnClock, utterance: Utterance) -> None:
        split = clock.split(time.monotonic())
        for stage, key in (("agent", "agent"), ("tts", "tts_first"), ("gateway", "gateway"), ("total", "total")):
            metrics.TURN_LATENCY.labels(stage).observe(split[key])
        self.events.send("turn.latency", turn=utterance.turn, **{f"{k}_seconds": round(v, 3) for k, v in split.items()})

    def _interim(self, text: str) -> None:
        self.events.send("transcript.interim", turn=self.turns + 1, text=text)

    def _barge_in(self) -> None:
        self.barge_ins += 1
        metrics.BARGE_INS.inc()
        if self._replying:
            assert self._reply_task is not None
            self._reply_task.cancel()
        for u in self.playout.interrupt():
            heard = u.text[: int(len(u.text) * u.heard_fraction)]
            self.responder.heard(u.turn, heard)
            self.events.send("barge_in", turn=u.turn, heard_fraction=round(u.heard_fraction, 3))

    def _stopped_speaking(self, seconds: float) -> None:
        metrics.BARGE_IN_STOP.observe(seconds)

    # --- housekeeping ---------------------------------------------------------

    async def _poll_stats(self) -> None:
        late_reported = 0
        while True:
            await asyncio.sleep(self.settings.stats_interval)  # the polling period
            summary = await self._measure()
            metrics.LATE_FRAMES.inc(self.playout.late_frames - late_reported)
            late_reported = self.playout.late_frames
            self.events.send("stats", **summary.as_dict())

    async def _measure(self) -> MediaSummary:
        now = await self.link.stats()
        export(self.media, now)
        self.media = now
        return now

    async def _time_limit(self) -> None:
        await asyncio.sleep(self.settings.max_call_seconds)  # the call's time limit
        await self.hang_up("time_limit")

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
