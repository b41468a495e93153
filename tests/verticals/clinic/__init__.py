"""A second, small vertical that proves the seam: a clinic books appointments with its doctors on
the same calendar, CRM and SMS services the real-estate agent uses, through the same generic
dialog (gateway/agent/) with no edit there. Its agent: clinic.yaml (`vertical: tests.verticals.clinic`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from bus import subjects
from bus.contracts import calendar_pb2, crm_pb2, sms_pb2
from gateway.agent import readout
from gateway.agent.frame import Said, Slot
from gateway.agent.reask import Question, Strategy
from gateway.agent.tools import Tool
from gateway.agent.turn_parser import Turn
from gateway.agent.vertical import Answered, Committed, Flow, Host, Outcome, Resource, Stage, Step

DOCTORS = {"lee": "Dr. Lee", "patel": "Dr. Patel"}
REASONS = ("checkup", "cleaning", "vaccination", "consultation")
KEY = {"type": "string", "minLength": 1, "maxLength": 200}


def _ts(iso: str) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(datetime.fromisoformat(iso))
    return t


def _open_times(a: Mapping[str, Any]) -> calendar_pb2.GetAvailabilityRequest:
    req = calendar_pb2.GetAvailabilityRequest(listing_id=f"clinic-{a['doctor']}", time_zone=a["time_zone"],
                                              max_slots=a["max_slots"])  # fmt: skip
    req.from_time.CopyFrom(_ts(a["from_time"]))
    req.to_time.CopyFrom(_ts(a["to_time"]))
    return req


OPEN_TIMES = Tool(
    name="open_times",
    description="Free appointment times of a doctor.",
    schema={"type": "object", "required": ["doctor", "time_zone", "from_time", "to_time", "max_slots"],
            "properties": {"doctor": {"enum": list(DOCTORS)}, "time_zone": {"type": "string"},
                           "from_time": {"type": "string"}, "to_time": {"type": "string"},
                           "max_slots": {"type": "integer", "minimum": 1, "maximum": 30}}},
    endpoint=subjects.GET_AVAILABILITY,
    build=_open_times,
)  # fmt: skip
BOOK_APPOINTMENT = Tool(
    name="book_appointment",
    description="Book an appointment with a doctor.",
    schema={"type": "object", "required": ["idempotency_key", "doctor", "time_zone", "start_time"],
            "properties": {"idempotency_key": KEY, "doctor": {"enum": list(DOCTORS)},
                           "time_zone": {"type": "string"}, "start_time": {"type": "string"},
                           "patient_name": {"type": "string"}, "patient_phone": {"type": "string"},
                           "patient_id": {"type": "string"}, "call_id": {"type": "string"}}},
    endpoint=subjects.BOOK_SHOWING,
    build=lambda a: calendar_pb2.BookShowingRequest(
        idempotency_key=a["idempotency_key"], listing_id=f"clinic-{a['doctor']}", time_zone=a["time_zone"],
        start_time=_ts(a["start_time"]), contact_name=a.get("patient_name", ""),
        contact_phone=a.get("patient_phone", ""), lead_id=a.get("patient_id", ""), source_call_id=a.get("call_id", ""),
    ),
)  # fmt: skip
REGISTER_PATIENT = Tool(
    name="register_patient",
    description="Record the patient (name, phone, reason for the visit).",
    schema={"type": "object", "required": ["idempotency_key", "phone"],
            "properties": {"idempotency_key": KEY, "name": {"type": "string"}, "phone": {"type": "string"},
                           "reason": {"type": "string"}, "call_id": {"type": "string"}}},
    endpoint=subjects.UPSERT_LEAD,
    build=lambda a: crm_pb2.UpsertLeadRequest(idempotency_key=a["idempotency_key"], name=a.get("name", ""),
                                              phone=a["phone"], interest=a.get("reason", ""),
                                              source_call_id=a.get("call_id", "")),
)  # fmt: skip
TEXT_PATIENT = Tool(
    name="text_patient",
    description="Text the patient their appointment.",
    schema={"type": "object", "required": ["idempotency_key", "to_phone", "body"],
            "properties": {"idempotency_key": KEY, "to_phone": {"type": "string"}, "body": {"type": "string"},
                           "call_id": {"type": "string"}}},
    endpoint=subjects.SEND_SMS,
    build=lambda a: sms_pb2.SendSmsRequest(idempotency_key=a["idempotency_key"], to_phone=a["to_phone"],
                                           body=a["body"], source_call_id=a.get("call_id", "")),
)  # fmt: skip


def doctor_in(said: Said) -> str | None:
    if (
        re.search(r"\b(any|anyone|whoever|either|don'?t mind|no preference)\b", said.text)
        and said.expecting == "doctor"
    ):
        return "lee"
    return next((key for key in DOCTORS if re.search(rf"\b{key}\b", said.text)), None)


def reason_in(said: Said) -> str | None:
    return next((r for r in REASONS if r in said.text), None)


class ClinicFlow:
    noun = "appointment"
    chosen = "doctor"

    def __init__(self, host: Host) -> None:
        self.host = host
        self.frame = host.frame
        self._slots = [Slot("doctor", doctor_in), Slot("reason", reason_in)]

    @property
    def slots(self) -> Sequence[Slot]:
        return self._slots

    @property
    def stage(self) -> Stage | None:
        return None if self.frame.doctor else Stage.NEEDS

    @property
    def expecting(self) -> str | None:
        return None if self.frame.doctor else "doctor"

    @property
    def resource(self) -> Resource | None:
        doctor = self.frame.doctor
        return Resource(doctor, "", self.host.config.time_zone, DOCTORS[doctor]) if doctor else None

    def choose_again(self) -> list[str]:
        self.frame.clear("doctor")
        return [f"Which doctor would you like to see: {readout.either(list(DOCTORS.values()))}?"]

    def answer(self, turn: Turn) -> Answered | None:
        return None  # no questions about the doctors are answered here

    async def settle(self, turn: Turn) -> Step:
        self.frame.take(turn.values, ("doctor", "reason"))
        if self.frame.doctor:
            return Step(done=True)
        doctors = readout.either(list(DOCTORS.values()))
        return Step(self.host.ask(Question(
            "doctor", ask=[f"Which doctor would you like to see: {doctors}?"],
            again=[f"Sorry, {doctors}? Or say any doctor."],
            strategies=(Strategy("call_back", ["Our front desk can call you back to arrange it."]),),
        )))  # fmt: skip

    async def free_slots(self, start: datetime, end: datetime, count: int) -> list[datetime]:
        args = {"doctor": self.frame.doctor, "time_zone": self.host.config.time_zone, "from_time": start.isoformat(),
                "to_time": end.isoformat(), "max_slots": min(count, 30)}  # fmt: skip
        data = (await self.host.tools.call("open_times", args, call_id=self.host.call_id)).data
        tz = ZoneInfo(self.host.config.time_zone)
        return [datetime.fromisoformat(s["start_time"].replace("Z", "+00:00")).astimezone(tz) for s in data["slots"]]

    def summary(self) -> str:
        what = self.frame.reason or "an appointment"
        return f"{'a ' + what if self.frame.reason else what} with {DOCTORS[self.frame.doctor]}"

    async def commit(self) -> Committed:
        f, call_id, tools = self.frame, self.host.call_id, self.host.tools
        when: datetime = f.when
        patient = await tools.call("register_patient", {"idempotency_key": f"{call_id}:patient", "name": f.name or "",
                                                         "phone": f.phone, "reason": f.reason or "",
                                                         "call_id": call_id})  # fmt: skip
        booked = await tools.call("book_appointment", {
            "idempotency_key": f"{call_id}:appointment", "doctor": f.doctor, "time_zone": self.host.config.time_zone,
            "start_time": when.isoformat(), "patient_name": f.name or "", "patient_phone": f.phone,
            "patient_id": patient.data["lead"]["lead_id"], "call_id": call_id,
        })  # fmt: skip
        if "unavailable" in booked.data:
            return Committed(Outcome.TIME_GONE, ["I'm sorry, that time was just taken."])
        said = f"{DOCTORS[f.doctor]} on {readout.moment(when)}"
        body = f"Your appointment with {said} is confirmed."
        text = {"idempotency_key": f"{call_id}:text", "to_phone": f.phone, "body": body, "call_id": call_id}
        await tools.call("text_patient", text)
        return Committed(Outcome.BOOKED, [f"You're booked with {said}. I've texted you the details.",
                                          "Is there anything else I can help you with?"])  # fmt: skip


class Clinic:
    name = "clinic"
    tools: Sequence[Tool] = (OPEN_TIMES, BOOK_APPOINTMENT, REGISTER_PATIENT, TEXT_PATIENT)

    def flow(self, host: Host) -> Flow:
        return ClinicFlow(host)


VERTICAL = Clinic()
