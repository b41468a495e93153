"""Where a call came from: the channel its records name, and the caller's number when the phone
network told us one (caller ID)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Typing = Literal["keypad", "text_box"]


@dataclass(frozen=True)
class CallOrigin:
    channel: str = "webrtc"  # "webrtc" or "phone": the transcript's CallStarted.channel
    # E.164, from the phone network (Twilio's `From`). Caller ID can be withheld or spoofed: the
    # agent only proposes it, and uses it once the caller has said yes (docs/agents.md).
    caller_number: str | None = None
    # How the caller can type what we fail to hear: "keypad" (keys pressed on a phone, DTMF: the phone
    # links), "text_box" (the web page's box, whose client said so in its offer), or None.
    typing: Typing | None = None
    # "outbound": we rang them (`voicepod dial`), and caller_number is the number we dialled.
    direction: str = "inbound"


WEBRTC = CallOrigin()
