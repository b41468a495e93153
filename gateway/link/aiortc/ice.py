"""The ICE settings (VOICEPOD_ICE_*) on aiortc's peer connection, per connection.

aiortc builds its aioice connections inside its ICE gatherers and gathers on every interface in
`setLocalDescription`; it takes the offer's candidates in `setRemoteDescription`. So: the offer's
candidates pass our policy as SDP text first (`admitted_offer`), and between the two calls each
gatherer's connection gathers as the settings say (`gather_chosen`), which leaves aiortc's own
gathering nothing to do. Nothing process-wide is patched.
"""

from __future__ import annotations

from aioice import Candidate
from aiortc import RTCPeerConnection

from gateway.rtc.candidate_policy import CandidatePolicy
from gateway.rtc.ice_gather import gather
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.sdp import SdpError


def admitted_offer(sdp: str, policy: CandidatePolicy) -> str:
    """`sdp` without the candidates `policy` refuses (counted there). Raises SdpError for a
    malformed candidate, or when the offer ends its candidates with none usable."""
    kept = []
    ends = False
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            value = line.removeprefix("a=candidate:")
            try:
                admitted = policy.admit(Candidate.from_sdp(value))
            except (ValueError, IndexError) as e:
                raise SdpError(f"malformed ICE candidate {value[:80]!r}: {e}") from None
            if not admitted:
                continue
        elif line.startswith("a=end-of-candidates"):
            ends = True
        kept.append(line)
    if ends:
        policy.end()
        why = policy.nothing_usable()
        if why is not None:
            raise SdpError(why)
    return "\r\n".join(kept) + "\r\n"


async def gather_chosen(pc: RTCPeerConnection, options: IceOptions) -> None:
    """Gather each of `pc`'s ICE transports on the chosen addresses, with the advertised address;
    call before setLocalDescription (after setRemoteDescription on the answering side)."""
    if options.relay_only or (not options.addresses and options.advertise is None):
        return  # aiortc gathers as it always has (relay only: no host candidate to choose)
    gatherers = [t.receiver.transport.transport.iceGatherer for t in pc.getTransceivers()]
    if pc.sctp is not None:
        gatherers.append(pc.sctp.transport.transport.iceGatherer)
    for gatherer in {id(g): g for g in gatherers}.values():
        if gatherer.state == "new":
            await gather(gatherer._connection, options, ipv6=True)
