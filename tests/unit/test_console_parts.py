"""The console's parts without a browser: a call's bounded history from its events, the eval
history from a reports directory (what is not a report is skipped, a missing directory is empty)."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.call_event_types import AgentText, Stats, TurnLatency
from gateway.call_history import CallHistory, ObservedEvents
from gateway.console.eval_history import eval_history
from gateway.console.settings import console_settings
from gateway.stats import MediaSummary
from tests.turn_fakes import RecordedEvents


def latency(turn: int) -> TurnLatency:
    return TurnLatency(turn=turn, prepared=False, vad_wait_seconds=0.1, stt_seconds=0.2, agent_seconds=0.1,
                       tts_first_seconds=0.1, gateway_seconds=0.01, total_seconds=0.5 + turn / 100)  # fmt: skip


def test_a_calls_history_keeps_the_latest_stats_and_turn_latencies_and_passes_every_event_on() -> None:
    history = CallHistory(points=3)
    sink = RecordedEvents()
    events = ObservedEvents(sink, history.observe)
    for i in range(5):
        events.send(Stats(MediaSummary(rtt_seconds=i / 100, jitter_seconds=None, fraction_lost=0.0)))
        events.send(latency(i + 1))
    events.send(AgentText(text="hi", turn=1))
    kept = history.as_dict()
    assert [p["rtt_seconds"] for p in kept["quality"]] == [0.02, 0.03, 0.04]
    assert [p["jitter_seconds"] for p in kept["quality"]] == [None, None, None]
    assert [(p["turn"], p["total_seconds"]) for p in kept["turn_latency"]] == [(3, 0.53), (4, 0.54), (5, 0.55)]
    assert sink.kinds() == ["stats", "turn.latency"] * 5 + ["agent.text"] and events.sent == 11


def test_the_eval_history_reads_scenario_and_persona_reports_and_skips_the_rest(tmp_path: Path) -> None:
    assert eval_history(None)["series"] == [] and eval_history(tmp_path / "nowhere")["series"] == []
    (tmp_path / "b.json").write_text(json.dumps({"agent": "a", "mode": "text", "pass_rate": 0.5,
                                                 "started_at": "2026-12-02T00:00:00+00:00", "ok": False}))  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps({"agent": "a", "mode": "text", "pass_rate": 1,
                                                 "started_at": "2026-12-01T00:00:00+00:00", "ok": True}))  # fmt: skip
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text(json.dumps({"agent": "a", "totals": {"calls": 3}}))
    (tmp_path / "notes.txt").write_text("not a report, not even looked at")
    history = eval_history(tmp_path)
    (series,) = history["series"]
    assert (series["kind"], series["agent"], series["mode"]) == ("scenarios", "a", "text")
    assert [(r["file"], r["pass_rate"], r["ok"]) for r in series["runs"]] == [
        ("a.json", 1.0, True),
        ("b.json", 0.5, False),
    ]
    assert sorted(history["skipped"]) == ["list.json", "other.json"]


def test_console_settings_come_from_the_environment() -> None:
    s = console_settings({"VOICEPOD_EVAL_REPORTS_DIR": "/srv/evals", "VOICEPOD_CONSOLE_PUSH_SECONDS": "2"})
    assert (s.eval_reports_dir, s.push_seconds) == (Path("/srv/evals"), 2.0)
    assert console_settings({}).eval_reports_dir is None
