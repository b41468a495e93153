"""What the caller hears: one audio track that plays queued utterances as 20 ms frames,
paced in real time, and silence in between.

Utterances are queued whole and can be cut at any frame: `interrupt()` (barge-in)
drops what is left and reports how much of each utterance was actually played,
so the conversation history can keep only what the caller heard. `pause()` stops the sound
at the next frame but keeps the queue, so `resume()` goes on from the very sample it stopped at
(a caller's "uh-huh" need not cost the reply). Frames leave as Opus
packets (gateway/media/opus_out.py): a WebRTC link only packs them into RTP. Speech that is already
Opus (a TTS that returns it) goes out packet by packet as it came: not decoded, not re-encoded.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np

from gateway.media.ogg_opus import OpusSpeech, packet_samples
from gateway.media.opus_out import TIME_BASE, OpusOut
from gateway.media.pcm import FRAME_SECONDS, OUT_FRAME, OUT_RATE, Pcm

SILENCE = np.zeros(OUT_FRAME, dtype=np.int16)
Voice = Pcm | OpusSpeech  # agent speech: 48 kHz mono int16, or Opus packets from the TTS


@dataclass
class Utterance:
    """One stretch of agent speech (e.g. a sentence), with the text it speaks."""

    audio: Voice
    text: str = ""
    turn: int = 0
    played: int = 0  # samples (PCM) or packets (Opus) sent so far
    # Called when its first samples go out, and when it ends (True: played to the end; False: cut).
    on_start: Callable[[Utterance], None] | None = field(default=None, repr=False)
    on_done: Callable[[Utterance, bool], None] | None = field(default=None, repr=False)

    @property
    def length(self) -> int:
        """In the unit of `played`."""
        return len(self.audio.packets) if isinstance(self.audio, OpusSpeech) else len(self.audio)

    @property
    def heard_fraction(self) -> float:
        return 1.0 if self.length == 0 else min(1.0, self.played / self.length)


class PlayoutStopped(Exception):
    """The call has stopped the playout: no more frames (the link's sending ends)."""


class PlayoutTrack:
    """The caller-bound audio, frame by frame; each link sends it its own way (gateway/link/)."""

    def __init__(self) -> None:
        self._live = True
        self._queue: deque[Utterance] = deque()
        self._opus = OpusOut()
        self._start: float | None = None
        self._pts = 0
        self.frames_sent = 0
        self.late_frames = 0  # frames produced more than a frame late
        self.last_voice_at = 0.0  # monotonic time the last non-silent frame went out
        self._interrupted_at: float | None = None
        self._paused = False
        # Seconds from pause() or interrupt() to the first silent frame actually produced (barge-in stop time).
        self.on_stopped: Callable[[float], None] | None = None
        # Times the sound was stopped so (a phone link then tells the far end to drop what it buffered).
        self.stops = 0

    def stop(self) -> None:
        """No more frames: the link sending this ends."""
        self._live = False

    @property
    def speaking(self) -> bool:
        """Speech is queued (playing, or paused)."""
        return bool(self._queue)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def current(self) -> Utterance | None:
        """The utterance playing (or paused) now."""
        return self._queue[0] if self._queue else None

    def pause(self) -> None:
        """Silence from the next frame on, the queue kept (and still taking utterances) until resume()."""
        if self._paused:
            return
        self._paused = True
        if self._queue:
            self._interrupted_at = time.monotonic()

    def resume(self) -> None:
        """Go on from where pause() stopped."""
        self._paused = False
        self._interrupted_at = None  # resumed before a silent frame went out: nothing was stopped

    def play(self, utterance: Utterance) -> None:
        if isinstance(utterance.audio, OpusSpeech) and not utterance.audio.packets:
            if utterance.on_done:  # nothing to send: played, at once
                utterance.on_done(utterance, True)
            return
        self._queue.append(utterance)

    def interrupt(self) -> list[Utterance]:
        """Stop now: the next frame is silence. Returns the cut utterances (played counts kept).
        It also ends a pause: what is played next is heard."""
        cut = list(self._queue)
        self._queue.clear()
        if cut and not self._paused:  # paused: the sound stopped already, and was timed then
            self._interrupted_at = time.monotonic()
        self._paused = False
        for u in cut:
            if u.on_done:
                u.on_done(u, False)
        return cut

    def release(self) -> None:
        """The call has ended: forget what is queued, unreported, and the callbacks into the call."""
        self._queue.clear()
        self.on_stopped = None

    async def recv(self) -> av.Packet[av.stream.Stream]:
        """The next 20 ms (or a TTS's longer packet) as Opus, paced in real time (WebRTC links)."""
        frame, samples = await self.next_frame()
        if isinstance(frame, bytes):
            packet = av.Packet(frame)
        else:
            packet = self._opus.packet(None if frame is SILENCE else frame)
        # The track's own clock: a TTS's packets may be longer than 20 ms, and RTP timestamps follow pts.
        packet.pts, packet.time_base, packet.duration = self._pts - samples, TIME_BASE, samples
        return packet

    async def next_frame(self) -> tuple[Pcm | bytes, int]:
        """The next piece of what the caller hears, paced in real time, and its length in 48 kHz
        samples: a 20 ms PCM frame (`SILENCE` itself when nothing plays), or one of a TTS's Opus
        packets as it came. Links that do not send Opus (a phone line) take this instead of recv()."""
        if not self._live:
            raise PlayoutStopped
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._pts / OUT_RATE
        if due > now:
            await asyncio.sleep(due - now)  # real-time pacing of the outgoing stream
        elif now - due > FRAME_SECONDS:
            self.late_frames += 1
        head = self._queue[0] if self._queue and not self._paused else None
        frame: Pcm | bytes
        if head is not None and isinstance(head.audio, OpusSpeech):
            frame = self._next_packet(head, head.audio)
            samples = packet_samples(frame) or OUT_FRAME
        else:
            frame, samples = SILENCE if self._paused else self._next_samples(), OUT_FRAME
        if self._interrupted_at is not None:
            self.stops += 1
            if self.on_stopped:
                self.on_stopped(time.monotonic() - self._interrupted_at)
            self._interrupted_at = None
        self._pts += samples
        self.frames_sent += 1
        return frame, samples

    def _next_packet(self, u: Utterance, speech: OpusSpeech) -> bytes:
        if u.played == 0 and u.on_start:
            u.on_start(u)
        data = speech.packets[u.played]
        u.played += 1
        if u.played >= len(speech.packets):
            self._queue.popleft()
            if u.on_done:
                u.on_done(u, True)
        self.last_voice_at = time.monotonic()
        return data

    def _next_samples(self) -> Pcm:
        out = SILENCE
        filled = 0
        while self._queue and filled < OUT_FRAME:
            u = self._queue[0]
            if isinstance(u.audio, OpusSpeech):  # starts on a packet of its own: the rest of this frame is silence
                break
            take = min(OUT_FRAME - filled, len(u.audio) - u.played)
            if u.played == 0 and take > 0 and u.on_start:
                u.on_start(u)
            if take > 0:
                if out is SILENCE:
                    out = SILENCE.copy()
                out[filled : filled + take] = u.audio[u.played : u.played + take]
                u.played += take
                filled += take
            if u.played >= len(u.audio):
                self._queue.popleft()
                if u.on_done:
                    u.on_done(u, True)
        if out is not SILENCE:
            self.last_voice_at = time.monotonic()
        return out
