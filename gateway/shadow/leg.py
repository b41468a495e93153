"""One leg of a shadow call: the caller's or the person's at the desk, each a media link of its own
(gateway/link/: the leg does not know what carries it). A leg on `/ws` opens a WebRTC link and is
started by its offer (`answer`); a phone caller's leg is given the link its bridge opened
(`open_media`, gateway/link/phone/) and is started by `start`, as a `Call` is.

A leg hears its side like a call does (the same turn source: VAD and end of turn, then the STT),
hands each heard turn's text on (`on_turn`), and passes every 20 ms of its side's audio to the
other leg's playout (`peer`): the two people hear each other through the gateway. It does not
answer anything itself; the bridge (bridge.py) decides what its turns mean.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import structlog

from gateway.call_event_types import CallEnded, CallStarted
from gateway.call_history import CallHistory, ObservedEvents
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.link import open_link
from gateway.link.base import LinkOpener, MediaLink, WebRtcLink
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import IN_RATE, OUT_RATE, Pcm, resample
from gateway.providers.stt import SpeechToText
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings
from gateway.turn_sources import Ended, TurnSignal, turn_source
from gateway.turns import TurnSettings

log = structlog.get_logger("gateway.shadow")

# Frames of the other side queued to play here; past that (this side's sending stalled) the oldest
# are dropped rather than let the two people drift apart in time.
MAX_QUEUED = 25  # 0.5 s

TurnHeard = Callable[["ShadowLeg", str], Awaitable[None]]
LegEvent = Callable[["ShadowLeg", str], None]  # (leg, reason): connected, or ended


def _ignore(_leg: ShadowLeg, _reason: str) -> None:
    pass


class ShadowLeg:
    def __init__(self, role: str, settings: GatewaySettings, turn_settings: TurnSettings, stt: SpeechToText | None,
                 post: Callable[[dict[str, Any]], None], *, on_connected: LegEvent, on_end: list[LegEvent],
                 udp_mux: UdpMux | None = None, origin: CallOrigin = WEBRTC,
                 open_media: LinkOpener | None = None) -> None:  # fmt: skip
        """`role`: "caller" or "human"; `post` queues a message on this side's signalling socket;
        `open_media` opens a link other than WebRTC (a phone line's), `origin` says where it came from."""
        self.call_id = uuid.uuid4().hex
        self.role = role
        self.origin = origin
        self.started_at = time.time()
        self.settings = settings
        self.playout = PlayoutTrack()
        self.rtc: WebRtcLink | None = None  # the link, when it is WebRTC's: it takes the offer
        self.link: MediaLink
        if open_media is None:
            self.link = self.rtc = open_link(settings, self.playout, post, self._ice_state, self._connection_state,
                                             udp_mux)  # fmt: skip
        else:
            self.link = open_media(self.playout, self._ice_state, self._connection_state)
        self.history = CallHistory()  # for the console, like a call's
        self.events = ObservedEvents(self.link.events, self.history.observe)
        self.session = stt.open() if stt is not None else None
        self.source = turn_source(turn_settings, self.session, opus=False, provider=False)
        self.peer: ShadowLeg | None = None  # the other side, once the desk paired them
        self.desk_call_id: str | None = None  # the shadow call's id (the caller's leg's), once paired
        self.on_turn: TurnHeard | None = None
        self._on_connected = on_connected
        self._on_end = on_end
        self.ended: str | None = None
        self.connection_state = "new"
        self.turns = 0
        self._queued = 0
        # Ended turns, transcribed in order; text: keys the caller pressed (already words).
        self._heard: asyncio.Queue[Pcm | str] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- what the signalling session calls (gateway/signaling.py SignalledCall) ---------

    async def answer(self, offer_sdp: str) -> str:
        assert self.rtc is not None, "only a WebRTC leg takes an offer"
        answer = await self.rtc.answer(offer_sdp)
        self.start()
        return answer

    def start(self) -> None:
        """Hear this side and keep the time limit (it joins the queue at the link's "connected")."""
        self._spawn(self._hear())
        self._spawn(self._transcribe())
        self._spawn(self._time_limit())

    def typed(self, text: str) -> None:
        """An entry the caller keyed (a phone's keypad): a turn of theirs, as it was pressed."""
        if self.ended is None:
            self._heard.put_nowait(text)

    def restartable(self) -> bool:
        return False  # a desk leg is not moved between networks mid-call

    async def restart(self, offer_sdp: str) -> str:
        raise ValueError("a shadow call's leg takes no ICE restart")

    async def add_candidate(self, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        assert self.rtc is not None, "only a WebRTC leg takes candidates"
        await self.rtc.add_candidate(candidate, sdp_mid, sdp_mline_index)

    async def hang_up(self, reason: str) -> None:
        if self.ended is not None:
            return
        self.ended = reason
        self.events.send(CallEnded(reason=reason))
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.playout.stop()
        await self.link.close()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self.session.close()
        self.source.release()
        self.playout.release()
        self.events.close()
        self.peer = self.on_turn = None
        on_end, self._on_end = self._on_end, []
        for notify in on_end:
            notify(self, reason)
        log.info("shadow_leg_ended", call_id=self.call_id, role=self.role, reason=reason, turns=self.turns)

    def summary(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "role": self.role, "channel": self.origin.channel,
                "started_at": round(self.started_at, 3), "connection_state": self.connection_state,
                "desk_call_id": self.desk_call_id,
                "duration_seconds": round(time.time() - self.started_at, 3), "turns": self.turns,
                "ended": self.ended}  # fmt: skip

    # --- the other side's audio ---------------------------------------------------------

    def play(self, frame: Pcm) -> None:
        """20 ms of the other side (16 kHz), played here as it came."""
        if self.ended is not None:
            return
        if self._queued >= MAX_QUEUED:
            self.playout.interrupt()  # this side stopped pulling: drop the backlog, not the present
        self._queued += 1
        self.playout.play(Utterance(resample(frame, IN_RATE, OUT_RATE), on_done=self._played))

    def _played(self, _u: Utterance, _complete: bool) -> None:
        self._queued -= 1

    # --- this side's audio --------------------------------------------------------------

    async def _hear(self) -> None:
        self.source.start(self._signal, lambda: False)  # nothing of ours plays that needs an echo guard
        async for frame in self.source.hearing(self.link):
            self.source.hear(frame)
            if self.peer is not None and isinstance(frame, np.ndarray):  # a local source hears decoded frames
                self.peer.play(frame)

    def _signal(self, signal: TurnSignal) -> None:
        if isinstance(signal, Ended):
            self.turns += 1
            self._heard.put_nowait(signal.audio)

    async def _transcribe(self) -> None:
        while True:
            audio = await self._heard.get()
            try:
                if isinstance(audio, str):
                    text = audio
                elif self.session is not None:
                    text = (await self.session.turn_ended(audio)).text
                else:
                    continue  # no STT: the legs are bridged, nothing is understood
                if text.strip() and self.on_turn is not None:
                    await self.on_turn(self, text.strip())
            except Exception:  # one turn lost (logged), not the hearing of the rest of the call
                log.exception("shadow_turn_failed", call_id=self.call_id, role=self.role)

    # --- the link's state ---------------------------------------------------------------

    async def _ice_state(self, state: str) -> None:
        if state == "failed":
            self._spawn(self.hang_up("ice_failed"))

    async def _connection_state(self, state: str) -> None:
        self.connection_state = state
        if state == "connected":
            self.events.send(CallStarted(call_id=self.call_id))
            self._on_connected(self, state)
        elif state in ("failed", "inactive", "closed") and self.ended is None:
            self._spawn(
                self.hang_up({"failed": "connection_failed", "inactive": "media_inactive"}.get(state, "media_closed"))
            )

    async def _time_limit(self) -> None:
        await asyncio.sleep(self.settings.max_call_seconds)  # the call's time limit
        await self.hang_up("time_limit")

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
