"""Deepgram live STT: one streaming WebSocket per call, through the official SDK.

Why streaming: Deepgram transcribes while the caller speaks, so when our VAD ends a turn
only its last moments are left to recognise; a Finalize flushes them and the final text
comes back in a few hundred milliseconds instead of after a whole-turn transcription.

How the session is built:
- feed() never waits: audio goes into a bounded outbox of 100 ms messages (live_outbox.py) that
  one sender task drains; KeepAlive when idle, since Deepgram closes a socket that hears nothing
  for about 10 s.
- A turn's end is a Finalize marker in the same outbox, so it follows the turn's audio. Results
  are matched to turns by Deepgram's audio timeline (start + duration, in seconds of audio sent
  on this socket), and a turn is done once Deepgram has answered for all audio up to its marker
  (from_finalize, a final reaching that point, or an UtteranceEnd past it), or after a timeout.
- Opus passthrough (`open(opus=True)`, our own WebRTC endpoint): the caller's Opus packets are
  sent as they came, grouped into Ogg pages (gateway/media/ogg_opus.py; a new Ogg stream per
  socket), never decoded; the timeline is then counted in the packets' own durations.
- Turns ended by Deepgram (`detect_turns`, VOICEPOD_TURNS=provider): no Finalize from us; a turn
  ends at a final result with speech_final (its endpointing heard endpointing_ms of silence) or
  at an UtteranceEnd, once it has words; SpeechStarted is reported as the caller's onset.
- A dropped socket is reopened on the next frame (live_socket.py). A turn that cannot be finished
  returns what was heard (possibly nothing: the agent asks the caller to repeat) instead of raising.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from dataclasses import dataclass

import structlog
from deepgram import AsyncDeepgramClient
from deepgram.listen.v1.types import ListenV1Results, ListenV1UtteranceEnd

from gateway.media.ogg_opus import SAMPLE_RATE, OggOpusWriter, lost_packet, packet_samples
from gateway.media.pcm import Pcm
from gateway.providers.deepgram_env import environment
from gateway.providers.stt import Interim, SpeechHeard, Transcript, TurnHeard
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.live_outbox import FRAME_SAMPLES, LiveOutbox
from gateway.providers.stt.live_socket import CloseStream, LiveConnection
from gateway.providers.stt.live_turn import Finalize, LiveTurn

log = structlog.get_logger("gateway.stt.deepgram")

SETTLED = 0.05  # s of slack when comparing Deepgram's timeline with where a Finalize was sent


@dataclass(frozen=True)
class LiveSettings:
    model: str = "nova-3"
    keepalive_seconds: float = 4.0  # Deepgram's idle limit is ~10 s
    finalize_timeout: float = 2.0  # after this a turn returns what it has
    connect_timeout: float = 5.0
    max_queued_seconds: float = 5.0  # outbox bound while the socket is slow or reconnecting
    endpointing_ms: int = 300
    utterance_end_ms: int = 1000  # Deepgram's minimum
    # Audio per WebSocket message (linear16 frames, or Opus packets in one Ogg page): each message
    # costs a send and a wakeup, so 20 ms ones cost ~5x the CPU; the turn's end flushes what is held.
    chunk_seconds: float = 0.1


class DeepgramLive:
    def __init__(self, api_key: str, model: str = "nova-3", base_url: str = "",
                 settings: LiveSettings | None = None, takes_opus: bool = True) -> None:  # fmt: skip
        self.name = f"deepgram:{model}"
        self.takes_opus = takes_opus  # containerised Ogg Opus, https://developers.deepgram.com/docs/encoding
        self.detects_turns = True  # endpointing, UtteranceEnd and SpeechStarted (vad_events)
        self.settings = dataclasses.replace(settings or LiveSettings(), model=model)
        self._client = AsyncDeepgramClient(api_key=api_key, environment=environment(base_url))

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> DeepgramSession:
        return DeepgramSession(self._client, self.settings, on_interim, opus)


class DeepgramSession(LiveConnection):
    def __init__(self, client: AsyncDeepgramClient, settings: LiveSettings, on_interim: Interim | None,
                 opus: bool = False) -> None:  # fmt: skip
        self._client = client
        self._s = settings
        self._on_interim = on_interim
        self.opus = opus
        self._outbox = LiveOutbox(settings.chunk_seconds, settings.max_queued_seconds, opus)
        self._last_packet = b""
        self._ogg = OggOpusWriter()  # replaced on each socket: a new stream starts with its headers
        self._collecting = LiveTurn()  # the turn the caller is in
        self._pending: deque[LiveTurn] = deque()  # ended turns waiting for their final text, oldest first
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._closing = False
        self.failed = ""  # why the session gave up for good (a refused key); turns then come back empty
        # Audio in 48 kHz samples: what Deepgram accepted on all sockets, of which already billed to a
        # turn, and what went on the current socket (Deepgram's timeline).
        self._sent_samples = 0
        self._billed_samples = 0
        self._stream_samples = 0
        self._socket_base = 0  # _sent_samples when the current socket opened
        self._settled_until = 0.0  # timeline point up to which every turn is done
        self._drop_logged = False
        self.connections = 0
        self.keepalives = 0
        self._on_speech: SpeechHeard | None = None  # set by detect_turns: Deepgram ends the turns
        self._on_turn: TurnHeard | None = None

    # --- the SttSession interface ---------------------------------------------------

    def feed(self, frame: Pcm) -> None:
        if not self.opus:
            self._hold(frame.astype("<i2", copy=False).tobytes(), FRAME_SAMPLES)

    def feed_opus(self, packet: bytes | None) -> None:
        """One of the caller's Opus packets as it came (None: lost; a stand-in keeps the timeline)."""
        if packet is None:
            if not self._last_packet:
                return
            packet = lost_packet(self._last_packet)
        else:
            self._last_packet = packet
        self._hold(packet, packet_samples(packet))

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        return None  # Deepgram hears the audio itself

    @property
    def dropped_frames(self) -> int:
        return self._outbox.dropped_frames

    def _hold(self, audio: bytes, samples: int) -> None:
        if self._closing or self.failed:
            return
        if self._outbox.hold(audio, samples):
            self._queued()

    def _queued(self) -> None:
        if self._outbox.dropping and not self._drop_logged:
            self._drop_logged = True
            log.warning("deepgram_audio_dropped", connected=self._connected, queued_seconds=self._s.max_queued_seconds)
        self._ensure_running()

    def detect_turns(self, on_speech: SpeechHeard, on_turn: TurnHeard) -> None:
        self._on_speech, self._on_turn = on_speech, on_turn

    def _provider_turn_ended(self, at: float, waited: float) -> None:
        """Deepgram ended the collecting turn at `at` (its timeline): hand over its text."""
        turn, self._collecting = self._collecting, LiveTurn()
        self._settled_until = max(self._settled_until, at)  # later results belong to the next turn
        # Billed up to where Deepgram ended it: audio sent since belongs to the next turn.
        upto = min(self._sent_samples, self._socket_base + round(at * SAMPLE_RATE))
        turn.billed = max(0, upto - self._billed_samples) / SAMPLE_RATE
        self._billed_samples = max(self._billed_samples, upto)
        assert self._on_turn is not None
        self._on_turn(Transcript(text=turn.text(), confidence=turn.confidence(), seconds=0.0,
                                 audio_seconds=turn.billed, complete=True, waited=waited))  # fmt: skip

    def expect(self, context: SpeechContext) -> None:
        """Ignored: Deepgram takes its keyterms when the socket opens, once per call, not per turn."""
        return None

    async def turn_ended(self, audio: Pcm) -> Transcript:
        started = time.perf_counter()
        turn, self._collecting = self._collecting, LiveTurn()
        if not self.failed and not self._closing:
            self._outbox.flush()  # the turn's last audio goes before its Finalize
            self._pending.append(turn)
            self._outbox.mark(Finalize(turn))
            self._queued()
            try:
                async with asyncio.timeout(self._s.finalize_timeout):
                    await turn.done.wait()
            except TimeoutError:
                log.warning("deepgram_finalize_timeout", seconds=self._s.finalize_timeout, partial=bool(turn.text()))
            finally:
                self._finish(turn)  # also when cancelled: a late answer must not land in the next turn
        self._bill(turn)
        assert turn.billed is not None
        return Transcript(text=turn.text(), confidence=turn.confidence(), seconds=time.perf_counter() - started,
                          audio_seconds=turn.billed, complete=turn.answered)  # fmt: skip

    async def close(self) -> None:
        if self._closing:
            return
        self._outbox.flush()
        self._closing = True
        self._on_speech = self._on_turn = None  # the call's methods: let the call go at hang-up
        task = self._task
        if task is None or task.done():
            return
        if self._connected:  # CloseStream: Deepgram flushes, sends its Metadata and closes
            self._outbox.mark(CloseStream())
            done, _ = await asyncio.wait((task,), timeout=self._s.finalize_timeout + 1.0)
            if done:
                return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    # --- the outbox -------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if (self._task is None or self._task.done()) and not self.failed and not self._closing:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="deepgram-live")

    # --- turns ------------------------------------------------------------------------

    def _finish(self, turn: LiveTurn, answered: bool = False) -> None:
        if turn.done.is_set():
            return
        turn.answered = answered
        turn.done.set()
        with contextlib.suppress(ValueError):
            self._pending.remove(turn)
        if turn.finalize_at is not None:
            self._settled_until = max(self._settled_until, turn.finalize_at)

    def _bill(self, turn: LiveTurn) -> None:
        if turn.billed is None:
            turn.billed = (self._sent_samples - self._billed_samples) / SAMPLE_RATE
            self._billed_samples = self._sent_samples

    def _turn_at(self, end: float) -> LiveTurn | None:
        """The turn a result ending at `end` (Deepgram's timeline) belongs to; None: one given up on."""
        if end <= self._settled_until + SETTLED:
            return None
        for turn in self._pending:
            if turn.finalize_at is None or end <= turn.finalize_at + SETTLED:
                return turn
        return self._collecting

    def _on_results(self, r: ListenV1Results) -> None:
        alt = r.channel.alternatives[0] if r.channel.alternatives else None
        text = alt.transcript.strip() if alt is not None else ""
        end = r.start + r.duration
        turn = self._turn_at(end)
        if turn is None:
            log.info("deepgram_late_result", end=round(end, 3), words=len(text.split()))
            return
        if r.is_final:
            if text and alt is not None:
                turn.finals.append(text)
                turn.confidences.append(float(alt.confidence))
            turn.interim = ""
        else:
            turn.interim, turn.interim_confidence = text, float(alt.confidence) if alt is not None else 0.0
        if text and turn is self._collecting and self._on_interim is not None:
            try:
                self._on_interim(turn.text())
            except Exception:
                log.exception("deepgram_interim_callback_failed")
        at = turn.finalize_at
        if at is not None and r.is_final and (r.from_finalize or end >= at - SETTLED):
            self._finish(turn, answered=True)
        elif self._on_turn is not None and turn is self._collecting and r.is_final and r.speech_final and turn.finals:
            self._provider_turn_ended(end, waited=self._s.endpointing_ms / 1000)

    def _on_utterance_end(self, u: ListenV1UtteranceEnd) -> None:
        # No words for utterance_end_ms after the last one: the turn it ended is final if that
        # silence reaches its Finalize. (A late one, for a turn given up on, finishes nothing.)
        turn = self._turn_at(u.last_word_end)
        heard_until = u.last_word_end + self._s.utterance_end_ms / 1000
        if self._on_turn is not None:  # no speech_final came (noise kept endpointing off): the words end the turn
            if turn is self._collecting and turn.text():
                self._provider_turn_ended(heard_until, waited=self._s.utterance_end_ms / 1000)
            return
        if turn is not None and turn.finalize_at is not None and heard_until >= turn.finalize_at - SETTLED:
            self._finish(turn, answered=True)
