"""Our playout as the audio track aiortc's RTP sender pulls: already Opus packets, paced in real
time by the playout; aiortc only packs them into RTP."""

from __future__ import annotations

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gateway.media.outbound import PlayoutStopped, PlayoutTrack


class PlayoutSender(MediaStreamTrack):
    kind = "audio"

    def __init__(self, playout: PlayoutTrack) -> None:
        super().__init__()
        self._playout = playout

    async def recv(self) -> av.Packet[av.stream.Stream]:
        try:
            return await self._playout.recv()
        except PlayoutStopped:
            self.stop()  # the call stopped its playout: the sender ends
            raise MediaStreamError from None
