"""The outbound calls this gateway placed, from the REST request to Twilio's last callback: who was
called, Twilio's answering-machine verdict when it comes, and the outcome recorded.

Twilio reports on a dial three ways, each naming its CallSid: the media stream (the call was
answered), the async AMD callback (`AnsweredBy`), the status callback (the call is over: completed,
busy, no-answer, failed, canceled). They may come to another gateway replica than the one that
dialled: that one knows no such dial (a stream then waits out its verdict and talks, as to a human).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

OUTBOUND_AUDIENCE = "voicepod-twilio-outbound"  # our token on an outbound call's stream
MAX_DIALS = 1000  # dials whose last callback never came are forgotten, oldest first

# Outcomes, as recorded (audit action `phone.outbound_call`).
HUMAN, VOICEMAIL, NO_ANSWER, BUSY, FAILED = "human", "voicemail", "no-answer", "busy", "failed"
# Twilio's `AnsweredBy` (MachineDetection=DetectMessageEnd): the machine ones come once its greeting
# has ended (the beep), the moment to leave a message.
MACHINE = frozenset({"machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"})
NOT_A_VOICE = frozenset({"fax"})
# Twilio's final CallStatus of a call nobody answered.
UNANSWERED = {"busy": BUSY, "no-answer": NO_ANSWER, "failed": FAILED, "canceled": FAILED}


def outcome_of(answered_by: str) -> str:
    """What to do with an answered call: "unknown" (Twilio could not tell) is talked to, as a human."""
    if answered_by in MACHINE:
        return VOICEMAIL
    if answered_by in NOT_A_VOICE:
        return FAILED
    return HUMAN


@dataclass
class Dial:
    to: str  # E.164
    purpose: str = ""
    source_call_id: str = ""
    dial_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    call_sid: str = ""
    call_id: str = ""  # the Call that carried it, once answered
    outcome: str = ""  # set once recorded
    answered_by: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def attributes(self) -> dict[str, str]:
        """The outcome's audit attributes."""
        found = {"channel": "phone", "direction": "outbound", "to": self.to, "call_sid": self.call_sid,
                 "dial_id": self.dial_id, "call_id": self.call_id, "purpose": self.purpose,
                 "source_call_id": self.source_call_id}  # fmt: skip
        return {k: v for k, v in found.items() if v}


class Dials:
    def __init__(self) -> None:
        self._by_sid: OrderedDict[str, Dial] = OrderedDict()

    def add(self, dial: Dial) -> None:
        self._by_sid[dial.call_sid] = dial
        while len(self._by_sid) > MAX_DIALS:
            self._by_sid.popitem(last=False)

    def get(self, call_sid: str) -> Dial | None:
        return self._by_sid.get(call_sid)

    def pop(self, call_sid: str) -> Dial | None:
        return self._by_sid.pop(call_sid, None)

    def __len__(self) -> int:
        return len(self._by_sid)
