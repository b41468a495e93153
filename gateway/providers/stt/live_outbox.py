"""What a live STT socket is to send, in order: audio in ~100 ms messages, and control markers.

Audio is gathered into messages of `chunk_seconds` (linear16 frames joined, or Opus packets for
one Ogg page): each message costs a send and a wakeup, so 20 ms ones cost ~5x the CPU. The
queue is bounded by `max_queued_seconds` of audio: while the socket is slow or reconnecting the
oldest audio is dropped (and counted) rather than the call's memory growing. Markers (a turn's
Finalize, CloseStream) keep their place behind the audio queued before them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from typing import Any

from gateway.media.ogg_opus import SAMPLE_RATE
from gateway.media.pcm import FRAME_SECONDS

FRAME_SAMPLES = round(FRAME_SECONDS * SAMPLE_RATE)  # a 20 ms linear16 frame on the 48 kHz timeline
MAX_PACKETS = 50  # per Ogg page: well inside its 255 segments


@dataclass(eq=False, slots=True)
class Audio:
    data: bytes | tuple[bytes, ...]  # linear16, or Opus packets for one Ogg page
    samples: int  # its length in 48 kHz samples: whole numbers keep the timeline exact


class LiveOutbox:
    def __init__(self, chunk_seconds: float, max_queued_seconds: float, opus: bool) -> None:
        self._opus = opus
        self._items: deque[Any] = deque()  # Audio or a marker
        self._queued = 0  # samples of audio queued
        self._max_queued = round(max_queued_seconds * SAMPLE_RATE)
        self._chunk: list[bytes] = []  # audio for the next message
        self._chunk_samples = 0
        self._chunk_limit = round(chunk_seconds * SAMPLE_RATE)
        self._wakeup = asyncio.Event()
        self.dropped_frames = 0
        self.dropping = False  # audio was dropped since the last that went out

    def __bool__(self) -> bool:
        return bool(self._items)

    def hold(self, audio: bytes, samples: int) -> bool:
        """Audio for the socket; True once a message's worth is queued."""
        self._chunk.append(audio)
        self._chunk_samples += samples
        if self._chunk_samples >= self._chunk_limit or len(self._chunk) >= MAX_PACKETS:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Queue the audio held so far (a turn's end: its last moments go before the marker)."""
        if not self._chunk:
            return
        data = tuple(self._chunk) if self._opus else b"".join(self._chunk)
        self._items.append(Audio(data, self._chunk_samples))
        self._queued += self._chunk_samples
        self._chunk, self._chunk_samples = [], 0
        while self._queued > self._max_queued and self._drop_oldest():
            pass
        self._wakeup.set()

    def mark(self, marker: object) -> None:
        self._items.append(marker)
        self._wakeup.set()

    def put_back(self, item: object) -> None:
        """An item a lost socket could not send goes out first on the next one."""
        self._items.appendleft(item)
        if isinstance(item, Audio):
            self._queued += item.samples

    def clear(self) -> None:
        self._items.clear()
        self._queued = 0

    def sent(self) -> None:
        self.dropping = False

    async def next(self, idle_seconds: float) -> Any:
        """The next item, or None after idle_seconds of nothing (time for a keepalive)."""
        if not self._items:
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle_seconds):
                    await self._wakeup.wait()
            if not self._items:
                return None
        item = self._items.popleft()
        if isinstance(item, Audio):
            self._queued -= item.samples
        return item

    async def wait(self) -> None:
        """Until something is queued (or `wake` is called)."""
        while not self._items:
            self._wakeup.clear()
            await self._wakeup.wait()
            if not self._items:
                return

    def wake(self) -> None:
        self._wakeup.set()

    def _drop_oldest(self) -> bool:
        for i, item in enumerate(self._items):
            if isinstance(item, Audio):
                del self._items[i]
                self._queued -= item.samples
                self.dropped_frames += round(item.samples / FRAME_SAMPLES)
                self.dropping = True
                return True
        return False
