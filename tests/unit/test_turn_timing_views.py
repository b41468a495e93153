"""A stored turn's latency split as the operators read it: the record made from the live event,
the transcript service's assembly, the JSON (CLI --json and console) and the CLI's timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from bus.contracts import events_pb2 as ev
from bus.contracts import transcript_pb2 as tr
from bus.ops_views import transcript_dict, turn_timing_dict
from gateway.call_event_types import TurnLatency
from gateway.turn_timing import timing_of
from pod.transcript_command import as_text
from services.transcript.render import transcript_of

AT = datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)


def timing(turn: int, stt: float, agent: float, *, prepared: bool = False, second: int = 5) -> ev.TurnTiming:
    return timing_of(TurnLatency(turn=turn, prepared=prepared, vad_wait_seconds=0.6, stt_seconds=stt,
                              agent_seconds=agent, tts_first_seconds=0.15, gateway_seconds=0.02,
                              total_seconds=round(0.77 + stt + agent, 3)), AT.replace(second=second))  # fmt: skip


def test_the_record_keeps_every_stage_of_the_live_event_and_when_the_audio_went_out() -> None:
    t = timing(4, stt=2.1, agent=0.3, prepared=True)
    assert (t.turn, t.prepared, t.vad_wait_seconds, t.stt_seconds, t.agent_seconds) == (4, True, 0.6, 2.1, 0.3)
    assert (t.tts_first_seconds, t.gateway_seconds, t.total_seconds) == (0.15, 0.02, 3.17)
    assert t.first_audio_at.ToDatetime(tzinfo=UTC) == AT


def test_the_service_returns_the_timings_in_turn_order_beside_the_turns() -> None:
    def event(**body: object) -> ev.TranscriptEvent:
        return ev.TranscriptEvent(event_id=str(len(body)), call_id="c1", **body)  # type: ignore[arg-type]

    stored = [event(turn_timing=timing(2, 0.1, 1.5)), event(turn=ev.TranscriptTurn(turn_index=1, text="hi")),
              event(turn_timing=timing(1, 0.1, 0.2))]  # fmt: skip
    t = transcript_of("c1", stored)
    assert [x.turn for x in t.turn_timings] == [1, 2] and [x.text for x in t.turns] == ["hi"]


def test_the_json_names_the_slowest_stage() -> None:
    doc = turn_timing_dict(timing(4, stt=2.1, agent=0.3))
    assert doc["slowest"] == "stt" and doc["total_seconds"] == 3.17 and doc["turn"] == 4
    assert doc["stages"] == {"vad_wait": 0.6, "stt": 2.1, "agent": 0.3, "tts_first": 0.15, "gateway": 0.02}
    assert doc["first_audio_at"] == "2026-12-07T09:00:05.000+00:00"
    t = tr.Transcript(call_id="c1", turn_timings=[timing(1, 0.1, 0.2), timing(2, 0.1, 1.5)])
    assert [x["slowest"] for x in transcript_dict(t, None, [])["turn_latency"]] == ["vad_wait", "agent"]


def test_the_timeline_puts_each_split_after_the_turn_it_answers_and_names_the_slowest_reply() -> None:
    said = ev.TranscriptTurn(turn_index=1, speaker=ev.SPEAKER_CALLER, text="a three bed in Austin")
    said.started_at.FromDatetime(AT.replace(second=3))
    answer = ev.TranscriptTurn(turn_index=2, speaker=ev.SPEAKER_AGENT, text="I found three")
    answer.started_at.FromDatetime(AT.replace(second=9))
    t = tr.Transcript(call_id="c1", turns=[said, answer],
                      turn_timings=[timing(1, stt=0.1, agent=4.2, prepared=True, second=8)])  # fmt: skip
    lines = as_text(t, None, []).splitlines()
    rows = [line.split()[-1] if "latency" not in line else "latency" for line in lines[-5:-2]]
    assert rows == ["Austin", "latency", "three"]
    assert lines[-1] == ("slowest reply: turn 1 answered in 5.07 s: vad_wait 0.60 s, stt 0.10 s, agent 4.20 s "
                         "(slowest), tts_first 0.15 s, gateway 0.02 s [prepared at a pause]")  # fmt: skip
    assert not any("slowest reply" in line for line in as_text(tr.Transcript(call_id="c2"), None, []).splitlines())
