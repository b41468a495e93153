"""Kill -9 each service, and nats-server, during one live WebRTC call to `voicepod up`.

A scripted caller (Piper voice, whisper on the gateway) books a showing while the test kills
the service each turn needs *while that service holds the turn's request*: the service is
frozen (SIGSTOP) before the caller speaks, and SIGKILLed the moment the gateway says the tool
call has started, so the request is lost inside a dead process, the worst case for the agent.
The caller must hear an apology and an offer to try again, the call must stay up, the
supervisor must restart the service, and "yes" must then finish the step. nats-server is
frozen for a whole turn (the gateway cannot publish that turn's transcript), then killed; the
supervisor restarts it on the same port and store. audit and transcript are killed mid-call.
Afterwards: one lead, one booking, one text; every transcript and audit event stored exactly
once, and the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.connection import connect
from bus.contracts import crm_pb2, events_pb2
from bus.settings import BusSettings
from caller.booking import BOOKING, NAME, PHONE_E164
from caller.script import ScriptLine, scripted_call
from services.audit.store import EntryRow
from services.calendar.store import BookingRow
from services.sms.store import OutboxRow
from services.transcript.store import EventRow
from tests.integration.agent.test_dialog import rows
from tests.integration.pod_helpers import Pod, child_pid, running_pod

pytestmark = pytest.mark.long

SEARCH, FIRST, SECOND_TIME, MY_NAME, MY_NUMBER = (line.say for line in BOOKING[:5])
YES = "Yes, please."
SCRIPT = (
    ScriptLine(SEARCH, expect=r"looking to buy"),  # 1: mls_lookup dies holding the search
    ScriptLine(YES, expect=r"couldn't search the listings.*try again"),  # 2
    ScriptLine(FIRST, expect=r"would you like to see"),  # 3: calendar dies holding the availability
    ScriptLine(YES, expect=r"couldn't check the calendar.*try again"),  # 4
    ScriptLine(SECOND_TIME, expect=r"which works for you"),  # 5
    ScriptLine(MY_NAME, expect=r"your name"),  # 6: nats-server frozen for this turn
    ScriptLine(MY_NUMBER, expect=r"phone number"),  # 7: nats-server killed before
    ScriptLine(
        YES, expect=r"shall i book it"
    ),  # 8: the caller's yes to the read-back; crm_writer dies holding the lead
    ScriptLine(YES, expect=r"couldn't book the showing.*try again"),  # 9: sms dies holding the text
    ScriptLine(YES, expect=r"you're booked.*try the text again"),  # 10
    ScriptLine(expect=r"texted the details"),
)
EXPECTED_TOOL_AUDIT = collections.Counter({
    ("tool.search_listings", "timeout"): 1, ("tool.search_listings", "ok"): 1,
    ("tool.check_availability", "timeout"): 1, ("tool.check_availability", "ok"): 2,
    ("tool.write_lead", "timeout"): 1, ("tool.write_lead", "ok"): 1,
    ("tool.book_showing", "ok"): 1,
    ("tool.send_sms", "timeout"): 1, ("tool.send_sms", "ok"): 1,
})  # fmt: skip


class Faults:
    """Freezes and kills the pod's children, and times the supervisor bringing each one back."""

    def __init__(self, pod: Pod, nc: NATS) -> None:
        self.pod, self.nc = pod, nc
        self.armed: dict[str, tuple[str, int]] = {}  # tool -> (child, pid) to SIGKILL when the gateway starts it
        self.restart_seconds: dict[str, float] = {}  # child -> from SIGKILL to its successor answering
        self._returns: dict[str, asyncio.Task[None]] = {}

    def kill(self, name: str, pid: int | None = None) -> None:
        pid = pid or child_pid(self.pod, name)
        os.kill(pid, signal.SIGKILL)
        self._returns[name] = asyncio.create_task(self._returned(name, pid, time.monotonic()))

    def freeze_until_tool(self, name: str, tool: str) -> None:
        """The service stops reading; it is killed holding the request the tool call sends it."""
        pid = child_pid(self.pod, name)
        os.kill(pid, signal.SIGSTOP)
        self.armed[tool] = (name, pid)

    def on_event(self, event: dict[str, Any]) -> None:
        # The turn's own call, not a reply prepared ahead at a pause (`ahead`): that one may be thrown
        # away when the caller goes on, and the turn's call sent again, to a service restarted by then.
        if event.get("type") != "tool.started" or event.get("ahead"):
            return
        if armed := self.armed.pop(str(event["tool"]), None):
            self.kill(*armed)

    async def back(self, *names: str, timeout: float = 60.0) -> None:
        """Each named child runs again, and every service answers on the bus."""
        for tool, (name, _) in list(self.armed.items()):
            if name in names:  # frozen, holding only a prepared reply's request: it dies with it
                self.kill(*self.armed.pop(tool))
        async with asyncio.timeout(timeout):
            for name in names:
                await self._returns[name]
            for service in subjects.SERVICE_NAMES:
                await self._answers(service)

    async def _returned(self, name: str, old_pid: int, killed_at: float) -> None:
        while True:
            with contextlib.suppress(LookupError):
                if child_pid(self.pod, name) != old_pid:
                    break
            await asyncio.sleep(0.02)  # the supervisor restarts it after a back-off; watch /proc
        if name == "nats-server":
            while not self.nc.is_connected:
                await asyncio.sleep(0.02)  # nats-py reconnects on its own schedule
        else:
            await self._answers(name)
        self.restart_seconds[name] = time.monotonic() - killed_at

    async def _answers(self, service: str) -> None:
        while True:
            try:
                await self.nc.request(f"$SRV.PING.{service}", b"", timeout=0.5)
                return
            except Exception:  # no responders yet, a timeout, or our connection reconnecting
                await asyncio.sleep(0.05)  # polling the restarted service, as an orchestrator's probe does


async def until_stored(model: type, call_id: str, done: Any, timeout: float = 60.0) -> list[Any]:
    """The rows of `model` for the call, once `done(rows)` holds (the consumers catch up asynchronously)."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout
    while True:
        service = "audit" if model is EntryRow else "transcript"
        found = [r for r in await rows(service, model) if r.call_id == call_id]
        if done(found) or loop.time() > give_up_at:
            return found
        await asyncio.sleep(0.25)  # polling the service's database


def turns_own_tool_call(row: EntryRow) -> bool:
    """An agent's tool call made for the turn, not for a reply prepared ahead at a pause."""
    return row.actor == "agent" and "ahead" not in events_pb2.AuditEvent.FromString(row.event_bytes).attributes


@pytest.mark.timeout(600)
async def test_killing_each_service_and_nats_during_a_call_loses_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"  # where the autouse fixture points VOICEPOD_STATE_DIR: rows() reads it
    async with running_pod(state) as pod:
        nc = await connect(BusSettings(nats_url=pod.nats_url, connect_timeout=10), name="fault-test")
        faults = Faults(pod, nc)

        async def before(line: int) -> None:
            if line == 1:
                faults.kill("audit")
                faults.kill("transcript")
                faults.freeze_until_tool("mls_lookup", "search_listings")
            elif line == 2:
                await faults.back("audit", "transcript", "mls_lookup")
            elif line == 3:
                faults.freeze_until_tool("calendar", "check_availability")
            elif line == 4:
                await faults.back("calendar")
            elif line == 6:
                os.kill(child_pid(pod, "nats-server"), signal.SIGSTOP)
            elif line == 7:
                faults.kill("nats-server")  # frozen since line 6
                await faults.back("nats-server")
            elif line == 8:
                faults.freeze_until_tool("crm_writer", "write_lead")
            elif line == 9:
                await faults.back("crm_writer")
                faults.freeze_until_tool("sms", "send_sms")
            elif line == 10:
                await faults.back("sms")

        token = pod.open_url.split("?token=", 1)[1]
        ws_url = pod.gateway_url.replace("http://", "ws://") + "ws"
        started = time.monotonic()
        try:
            result = await scripted_call(
                ws_url, SCRIPT, token, on_event=faults.on_event, before_line=before, ice_addresses=("127.0.0.1",)
            )
            call_seconds = time.monotonic() - started
            lead = await BusClient(nc).call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone=PHONE_E164), timeout=5)
            transcript = await until_stored(EventRow, result.call_id, lambda r: any(e.kind == "call_ended" for e in r))
            audit = await until_stored(
                EntryRow, result.call_id, lambda r: sum(map(turns_own_tool_call, r)) >= EXPECTED_TOOL_AUDIT.total()
            )
        finally:
            await nc.close()
        verify = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pod.cli", "audit", "verify", env={**os.environ, "VOICEPOD_STATE_DIR": str(state)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        verified, _ = await verify.communicate()

    # The call stayed up from the first fault to the caller's goodbye.
    assert result.ended_by == "caller", result.ended_by
    assert set(faults.restart_seconds) == {"audit", "transcript", "mls_lookup", "calendar", "nats-server",
                                           "crm_writer", "sms"}  # fmt: skip
    # Exactly one of each thing the call did, though three of its requests died with their service.
    assert (lead.lead.name, lead.lead.phone_e164) == (NAME, PHONE_E164)
    (booking,) = await rows("calendar", BookingRow)
    assert booking.contact_phone_e164 == PHONE_E164 and booking.lead_id == lead.lead.lead_id
    (text,) = await rows("sms", OutboxRow)
    assert text.to_phone_e164 == PHONE_E164
    # Durable events: every transcript turn once, in an unbroken sequence, the frozen NATS turn included.
    turns = sorted((r.turn_index, r.kind) for r in transcript if r.kind == "turn")
    assert [i for i, _ in turns] == list(range(1, len(turns) + 1)), turns
    said = [events_pb2.TranscriptEvent.FromString(r.event_bytes).turn for r in transcript if r.kind == "turn"]
    caller_turns = [t for t in said if t.speaker == events_pb2.SPEAKER_CALLER]
    assert len(caller_turns) == sum(1 for line in SCRIPT if line.say)
    assert any("smith" in t.text.lower() for t in caller_turns)  # the turn spoken while NATS was frozen
    assert [r.kind for r in transcript].count("call_started") == 1
    assert [r.kind for r in transcript].count("call_ended") == 1
    # A killed service's attempt is "timeout" when the request reached it before the SIGKILL, and
    # "unavailable" (no responders) when the kill won the race with the request: both are that fault.
    failed = {"timeout": "timeout", "unavailable": "timeout"}
    turns_own = [r for r in audit if turns_own_tool_call(r)]
    tool_audit = collections.Counter((r.action, failed.get(r.outcome, r.outcome)) for r in turns_own)
    assert tool_audit == EXPECTED_TOOL_AUDIT
    assert verify.returncode == 0, verified.decode()
    figures = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in faults.restart_seconds.items())
    print(f"\ncall of {call_seconds:.0f} s survived 7 kills; each back on the bus (from SIGKILL) in: {figures}; "
          f"{len(transcript)} transcript and {len(audit)} audit events stored once; audit chain verified")  # fmt: skip
