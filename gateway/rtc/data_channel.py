"""A caller's data channel on our endpoint, a part of `AudioEndpoint`: the DTLS application records.

SCTP is not here (gateway/link/lean_sctp.py runs aiortc's over our DTLS): with `on_data`, the
answer accepts the offer's data channel section (bundled on the same transport), the records
(SCTP packets) go to `on_data`, and `send_data` sends them. Without it the section is rejected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.sdp import Description, Setup

log = structlog.get_logger("gateway.rtc")


@dataclass(frozen=True)
class DataChannelTerms:
    """The data channel the answer accepted: the peer's SCTP port, and our DTLS role (RFC 8832
    ties the SCTP side, and whose stream ids are odd, to it)."""

    remote_sctp_port: int
    dtls_server: bool


class DataRecords:
    """The data channel half of `AudioEndpoint` (gateway/rtc/endpoint.py), which sets these in its __init__."""

    _on_data: Callable[[bytes], Awaitable[None]] | None
    _peer: Description | None
    _dtls: DtlsSrtp | None
    closed: bool
    dropped: dict[str, int]
    data_errors: int  # application records (SCTP) whose handling failed

    @property
    def data_channel(self) -> DataChannelTerms | None:
        """What SCTP needs to know, once the answer has accepted a data channel section."""
        if self._peer is None or self._peer.application is None:
            return None
        sctp_port = self._peer.application.sctp_port
        assert sctp_port is not None
        return DataChannelTerms(sctp_port, dtls_server=self._peer.setup is Setup.PASSIVE)

    async def send_data(self, data: bytes) -> None:
        """One SCTP packet to the peer, in a DTLS record (ConnectionError once DTLS is gone)."""
        if self._dtls is None or self.closed:
            raise ConnectionError("the call's media is not connected")
        await self._dtls.send(data)

    async def _data(self, data: bytes) -> None:
        assert self._on_data is not None
        try:
            await self._on_data(data)
        except Exception as e:  # one bad SCTP packet must not end the call's media
            self.dropped["error"] += 1
            self.data_errors += 1
            if self.data_errors == 1:  # once per call: a flood must not flood the log too
                log.warning("data_record_failed", error=repr(e), size=len(data))
