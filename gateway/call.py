"""One call: its media link, its playout, its turn loop and its lifetime.

A WebRTC call's link is opened here and started by the caller's offer (`answer`); a phone call's
link is opened by its bridge (`open_media`, gateway/link/phone/) and the call started by `start`."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from nats.js import JetStreamContext

from bus.contracts import events_pb2
from gateway import call_event_types as ev
from gateway import metrics
from gateway.agent.usage import UsageMeter
from gateway.call_history import CallHistory, ObservedEvents
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.call_trace import open_call_trace
from gateway.link import open_link
from gateway.link.base import IceRestartable, LinkOpener, MediaLink, WebRtcLink
from gateway.media.outbound import PlayoutTrack
from gateway.providers.stt import SettlingSession, SpeechToText
from gateway.recorder import CallRecorder
from gateway.responder import Rehearses, Responder
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings
from gateway.stats import MediaSummary, export
from gateway.turn_loop import TurnLoop
from gateway.turn_sources import turn_source
from gateway.turn_timing import TimingRecorder
from gateway.turns import TurnSettings

log = structlog.get_logger("gateway.call")


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
        origin: CallOrigin = WEBRTC,
        open_media: LinkOpener | None = None,
        udp_mux: UdpMux | None = None,
    ) -> None:
        """`post` queues a message on the caller's signalling socket (events, when the link has no
        data channel); `open_media` opens a link other than WebRTC (a phone line's); `udp_mux` is the
        process's shared media port, when it has one (VOICEPOD_RTC_UDP_PORT)."""
        self.call_id = uuid.uuid4().hex
        self.started_at = time.time()
        self.settings = settings
        self.turn_settings = turn_settings
        self.stt = stt
        self.agent_name = agent_name
        self.origin = origin
        self._on_end = on_end
        self.playout = PlayoutTrack()
        self.playout.on_stopped = self._stopped_speaking
        self.rtc: WebRtcLink | None = None  # the link, when it is WebRTC's: it takes the caller's offer
        self.link: MediaLink
        if open_media is None:
            self.link = self.rtc = open_link(settings, self.playout, post or (lambda message: None),
                                             self._on_ice_state, self._on_connection_state, udp_mux)  # fmt: skip
        else:
            self.link = open_media(self.playout, self._on_ice_state, self._on_connection_state)
        metrics.PEER_CONNECTIONS.inc()
        self.history = CallHistory()  # for the operators' console (gateway/console/)
        self.recorder = CallRecorder(js, self.call_id)
        # Each turn.latency is also kept with the transcript. (Observers that do not hold the call: a
        # bound method of it here would make a cycle only the garbage collector frees.)
        self.events = ObservedEvents(self.link.events, self.history.observe, TimingRecorder(self.recorder).observe)
        self.usage = UsageMeter(agent_name)
        self.trace = open_call_trace(self.call_id, agent_name, origin.channel)  # NO_TRACE with tracing off
        # When the STT takes Opus and the link has the caller's packets, it is fed those as they came
        # (no decode or resample for it); the turn loop still decodes for the VAD.
        self.stt_opus = stt is not None and stt.takes_opus and self.link.passes_opus
        # VOICEPOD_TURNS=provider: the STT ends the turns and reports onsets; no VAD runs here.
        self.provider_turns = settings.providers.turns == "provider" and stt is not None and stt.detects_turns
        self.stt_session = stt.open(self._interim, opus=self.stt_opus) if stt is not None else None
        self.responder = responder_factory(self)
        # Who ends the turns is settled here, once: the turn loop is the same either way.
        source = turn_source(turn_settings, self.stt_session, opus=self.stt_opus, provider=self.provider_turns)
        # A reply prepared at the caller's pause: an STT that says when its text is final so far, an
        # engine that can answer on a copy of itself, and the setting on (VOICEPOD_PREEMPTIVE_REPLY).
        settling = self.stt_session if isinstance(self.stt_session, SettlingSession) else None
        rehearse = None
        if isinstance(self.responder, Rehearses) and settling is not None and settings.preemptive_reply:
            rehearse = self.responder.rehearse
        self.turn_loop = TurnLoop(source, self.playout, self.responder, self.events, session=self.stt_session,
                                  stt_name=stt.name if stt is not None else "", recorder=self.recorder,
                                  usage=self.usage, interruptions=turn_settings.interruptions,
                                  on_goodbye=self._agent_hung_up, call_id=self.call_id, rehearse=rehearse,
                                  trace=self.trace, no_answer_seconds=turn_settings.no_answer_ms / 1000)  # fmt: skip
        if rehearse is not None and settling is not None:
            settling.watch_pauses(self.turn_loop.settled, self.turn_loop.unsettled)
        self.media = MediaSummary()
        self.ice_state = "new"
        self.connection_state = "new"
        self.ended: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        metrics.ICE_STATE.labels(self.ice_state).inc()
        metrics.CONNECTION_STATE.labels(self.connection_state).inc()

    # --- signaling ------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the caller's offer; return our answer (with all our candidates: both links gather first)."""
        assert self.rtc is not None, "only a WebRTC call takes an offer"
        answer = await self.rtc.answer(offer_sdp)
        self.start()
        return answer

    def start(self) -> None:
        """Hear the caller, poll the link's figures, keep the time limit (the greeting waits for the
        link's "connected")."""
        self._spawn(self.turn_loop.run(self.link))
        self._spawn(self._poll_stats())
        self._spawn(self._time_limit())
        metrics.CALLS_STARTED.inc()
        log.info("call_answered", call_id=self.call_id, channel=self.origin.channel,
                 stt_audio="opus" if self.stt_opus else "pcm",
                 turns="provider" if self.provider_turns else "local")  # fmt: skip

    def restartable(self) -> bool:
        """Whether the caller may restart ICE on this call: its link takes a re-offer, and it has
        connected (before that a second offer is a second call, refused)."""
        return isinstance(self.rtc, IceRestartable) and self.ended is None and self.connection_state == "connected"

    async def restart(self, offer_sdp: str) -> str:
        """The caller's re-offer with new ICE credentials (its network changed): our answer; the call,
        its id, turn loop and transcript go on. ValueError if it cannot be used (the call goes on)."""
        assert isinstance(self.rtc, IceRestartable), "restartable() first"
        answer = await self.rtc.restart(offer_sdp)
        log.info("ice_restart_answered", call_id=self.call_id)
        return answer

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        assert self.rtc is not None, "only a WebRTC call takes candidates"
        await self.rtc.add_candidate(candidate, sdp_mid, sdp_mline_index)

    async def hang_up(self, reason: str) -> None:
        """End the call (idempotent): stop the media, close the connection, account for it."""
        if self.ended is not None:
            return
        self.ended = reason
        self.events.send(ev.CallEnded(reason=reason))
        # What was playing goes in the transcript as far as it was heard (cut by the hang-up).
        self.playout.interrupt()
        self.recorder.call_ended(reason, time.time() - self.started_at, self.usage.ended(), self._quality())
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        replying = self.turn_loop.cancel()
        self.playout.stop()
        with contextlib.suppress(Exception):
            await self._measure()  # final figures for the summary
        await self.link.close()
        metrics.PEER_CONNECTIONS.dec()
        await asyncio.gather(*(t for t in self._tasks if t is not current), *replying, return_exceptions=True)
        for closing in (self.responder.close(), self.stt_session.close() if self.stt_session else None):
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing
        metrics.ICE_STATE.labels(self.ice_state).dec()
        metrics.CONNECTION_STATE.labels(self.connection_state).dec()
        metrics.CALLS_ENDED.labels(reason).inc()
        await self.recorder.flush()
        self.trace.end(reason)
        log.info("call_ended", **self.summary())
        # Let go of the callbacks that refer back to this call (the links drop theirs on close):
        # an ended call is then freed by reference counting, not at the next full GC pass.
        self.playout.release()
        self.events.close()
        # Utterances carry callbacks into the call; a cancelled task's error holds its frame, and so the call.
        self.turn_loop.release()
        on_end, self._on_end = self._on_end, _ended
        on_end(self, reason)

    def _quality(self) -> events_pb2.CallQuality:
        """The link's last measured figures and the conversation's interruptions, kept with the transcript."""
        m = self.media
        return events_pb2.CallQuality(rtt_seconds=m.rtt_seconds, jitter_seconds=m.jitter_seconds,
                                      fraction_lost=m.fraction_lost, barge_ins=self.turn_loop.barge_ins,
                                      late_frames=self.playout.late_frames)  # fmt: skip

    def summary(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "channel": self.origin.channel,
            "started_at": round(self.started_at, 3),
            "duration_seconds": round(time.time() - self.started_at, 3),
            "ice_state": self.ice_state,
            "connection_state": self.connection_state,
            "turns": self.turn_loop.turns,
            "barge_ins": self.turn_loop.barge_ins,
            "resumed": self.turn_loop.resumed,
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
            self.events.send(ev.CallStarted(call_id=self.call_id))
            self.recorder.call_started(self.agent_name, self.origin.channel, self.origin.direction)
            self.turn_loop.greet(await self.responder.greeting())
        elif self.connection_state == "failed":
            self._spawn(self.hang_up("connection_failed"))
        elif self.connection_state == "inactive":
            self._spawn(self.hang_up("media_inactive"))  # the caller vanished: no media for the window
        elif self.connection_state == "closed" and self.ended is None:
            self._spawn(self.hang_up("media_closed"))  # the caller closed its connection, not the socket

    def _interim(self, text: str) -> None:
        self.turn_loop.interim(text)

    def _agent_hung_up(self) -> None:
        self._spawn(self.hang_up("agent_hangup"))

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
            self.events.send(ev.Stats(summary))

    async def _measure(self) -> MediaSummary:
        now = await self.link.stats()
        export(self.media, now)
        self.media = now
        return now

    async def _time_limit(self) -> None:
        await asyncio.sleep(self.settings.max_call_seconds)  # the call's time limit
        await self.hang_up("time_limit")

    def spawn(self, coro: Any) -> None:
        """Run `coro` as one of the call's tasks (cancelled when the call ends)."""
        self._spawn(coro)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
