"""`voicepod shadow report`, as an operator runs it: shadow records published to JetStream as the
gateway publishes them, stored by the transcript service, read back over the bus and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.contracts import events_pb2, shadow_pb2
from bus.contracts import transcript_pb2 as tr
from bus.settings import BusSettings
from gateway.recorder import CallRecorder
from pod import ops_bus
from pod.shadow_command import eval_rates, report
from pod.transcript_command import show_transcript
from tests.eventually import eventually
from tests.integration.test_ops_commands import services, voicepod
from tests.nats_fixture import NatsServer

AGREED = {"resource": "DEN1", "time": "2026-12-08T14:00:00-07:00", "name": "John Smith", "phone": "+15123794680"}


async def record(nc: NATS, call_id: str, agent_entities: dict[str, str], agent_action: str = "commit") -> None:
    rec = CallRecorder(nc.jetstream(), call_id)
    rec.call_started("real_estate")
    rec.turn(events_pb2.SPEAKER_CALLER, "A house in Denver.")
    rec.turn(events_pb2.SPEAKER_HUMAN, "Let me look.")
    rec.shadow_turn(shadow_pb2.ShadowTurn(agent_name="real_estate", human_text="Let me look.", human_turn=1,
                                          recommended_reply="I found one home."))  # fmt: skip
    rec.shadow_outcome(shadow_pb2.ShadowOutcome(agent_name="real_estate", human_action="commit",
                                                recommended_action=agent_action, human_entities=AGREED,
                                                recommended_entities=agent_entities))  # fmt: skip
    rec.call_ended("caller_hangup", 30.0)
    await rec.flush()


async def test_the_report_gives_the_figures_and_the_gate(nc: NATS, nats_server: NatsServer, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    passing, failing = tmp_path / "eval-ok.json", tmp_path / "eval-low.json"
    passing.write_text(json.dumps({"agent": "real_estate", "pass_rate": 0.95}))
    failing.write_text(json.dumps({"agent": "real_estate", "pass_rate": 0.5}))
    url = ("--nats-url", nats_server.url)
    async with services(nc):
        for n in range(4):
            await record(nc, f"agreed-{n}", AGREED)
        await record(nc, "misheard", {**AGREED, "phone": "+15123794681"})
        bus = BusClient(nc)

        async def stored() -> tr.ListShadowRecordsResponse:
            return await bus.call(subjects.LIST_SHADOW_RECORDS, tr.ListShadowRecordsRequest(), timeout=5)

        await eventually(stored, lambda r: len(r.records) == 10)
        text = await voicepod("shadow", "report", "--eval-report", str(passing), *url)  # as an operator runs it
        # The other cases in-process (a process each costs seconds of imports).
        async with ops_bus.services(BusSettings(nats_url=nats_server.url, connect_timeout=5), 5) as s:
            capsys.readouterr()
            everyone = tr.ListShadowRecordsRequest()
            low = await report(s, everyone, eval_rates(failing), True), capsys.readouterr().out
            unknown = await report(s, everyone, {}, False), capsys.readouterr().out
            other = await report(s, tr.ListShadowRecordsRequest(agent_name="clinic"), {}, False)
            other_out = capsys.readouterr().out
            await show_transcript(s, "misheard", False)
            transcript = capsys.readouterr().out
    code, out, err = text
    assert code == 0, err
    header, row, *_ = out.splitlines()
    assert header.split()[:2] == ["AGENT", "CALLS"]
    assert row.split() == ["real_estate", "5", "5", "100%", "95%", "20%", "PASS"]
    assert "differs on phone in call misheard: desk '+15123794680', agent '+15123794681'" in out
    assert "go-live PASS: shadow agreement 80% (bar 80%), eval pass rate 95% (bar 90%)" in out
    code, out = low
    (doc,) = json.loads(out)
    assert code == 1 and doc["go_live"]["passed"] is False and doc["go_live"]["eval_pass_rate"] == 0.5
    assert (doc["calls"], doc["entities"]["phone"]) == (5, {"compared": 5, "agreed": 4})
    assert unknown[0] == 1 and "eval pass rate unknown" in unknown[1]
    assert (other, other_out) == (1, "no shadow-mode records\n")
    assert "2  human   Let me look." in transcript  # the desk's words are the person's in the transcript
