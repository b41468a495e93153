"""`voicepod eval`: every shipped scenario replayed in text mode against the real services, the
report's shape, a wrong expectation named with expected vs actual, broken scenario files, and
(slow) a small audio subset over WebRTC through the real gateway.

The CLI runs as a subprocess, as CI and developers run it: it starts its own nats-server and
patches its own environment, none of which should leak into the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from evals import times
from evals.scenario import scenario_dir

SCENARIOS = scenario_dir("real_estate")
BOOKING = (SCENARIOS / "books-austin-second-listing.yaml").read_text()


def voicepod_eval(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NATS_URL"}
    return subprocess.run([sys.executable, "-m", "pod.cli", "eval", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)  # fmt: skip


def report_of(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    return report


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_scenario_passes_in_text_mode(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    run = voicepod_eval("--report", str(report_path), "--min-pass-rate", "1.0")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = report_of(report_path)
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 30
    counts = report["counts"]
    assert counts["total"] == len(files) and counts["fail"] == counts["error"] == counts["fixed"] == 0, counts
    assert report["pass_rate"] == 1.0 and report["ok"] and report["mode"] == "text"
    assert counts["pass"] >= 30
    for scenario in report["scenarios"]:
        call = scenario["call"]
        assert call["greeting"] and call["turns"], scenario["name"]
        assert all(t["latency_ms"] is not None for t in call["turns"])
        if scenario["status"] == "known_failure":
            # A known failure says why, and still names what fails.
            assert scenario["known_failure"] and scenario["failures"], scenario
    # Progress lines, then the pass-rate table.
    assert f"[{len(files)}/{len(files)}]" in run.stdout
    assert "pass rate 100.0% (minimum 100%): OK" in run.stdout
    assert report["seconds"] < 120


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_wrong_expectation_is_named_with_expected_and_actual(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "right.yaml").write_text(BOOKING)
    wrong = BOOKING.replace("local_time: monday 09:30", "local_time: monday 10:00").replace(
        "lead: {exists: true, name: Ada Lovelace", "lead: {exists: true, name: Ada Byron"
    )
    assert wrong != BOOKING
    (scenarios / "wrong.yaml").write_text(wrong)
    report_path = tmp_path / "report.json"
    run = voicepod_eval("--dir", str(scenarios), "--report", str(report_path), "--min-pass-rate", "0.9")
    assert run.returncode == 1, run.stdout + run.stderr  # 1 of 2 passed: 50% < 90%
    report = report_of(report_path)
    assert report["pass_rate"] == 0.5 and not report["ok"]
    by_name = {s["name"]: s for s in report["scenarios"]}
    assert by_name["right"]["status"] == "pass" and by_name["wrong"]["status"] == "fail"
    failures = {f["assertion"]: f for f in by_name["wrong"]["failures"]}
    assert set(failures) == {"booking.local_time", "lead.name"}, failures
    assert failures["lead.name"]["expected"] == "Ada Byron" and failures["lead.name"]["actual"] == "Ada Lovelace"
    local = failures["booking.local_time"]
    assert local["expected"].startswith("Mon ") and local["expected"].endswith("10:00 America/Chicago")
    assert local["actual"].startswith("Mon ") and local["actual"].endswith("09:30 America/Chicago")
    assert "booking.local_time: expected Mon" in run.stdout and "BELOW THRESHOLD" in run.stdout


BROKEN = [
    ("persona: x\nturns: [hi]\nexpect: {stage: [unclosed\n", "not readable YAML"),
    ("persona: x\nturns: [hi]\nexpect: {booking: {local_time: monday 09:30}}\n", "expect.booking: "),
    ("persona: x\nturns: [hi, {sayy: hello}]\nexpect: {stage: done}\n", "turns[1]: "),
    (
        "persona: x\nturns: [hi]\nexpect: {booking: {exists: true, local_time: someday}}\n",
        "expect.booking.local_time: 'someday' is not a moment",
    ),
    ("persona: x\nturns: [hi]\nfaults: {down: [dns]}\nexpect: {stage: done}\n", "faults.down[0]: "),
]


def test_a_broken_scenario_file_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(BOOKING)
    content, where = BROKEN[0]
    (tmp_path / "broken.yaml").write_text(content)
    run = voicepod_eval("--dir", str(tmp_path), timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{tmp_path / 'broken.yaml'}: " in run.stderr and where in run.stderr, run.stderr


def test_every_broken_scenario_file_is_named_with_its_field(tmp_path: Path) -> None:
    # One run for all the kinds of breakage (a process start each would cost seconds): the loader
    # reads every file and lists each broken one, on a line of its own with what is wrong in it.
    (tmp_path / "good.yaml").write_text(BOOKING)
    for i, (content, _) in enumerate(BROKEN):
        (tmp_path / f"broken-{i}.yaml").write_text(content)
    run = voicepod_eval("--dir", str(tmp_path), timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    for i, (_, where) in enumerate(BROKEN):
        named = f"{tmp_path / f'broken-{i}.yaml'}: "
        assert any(named in line and where in line for line in lines), (where, run.stderr)
    assert "good.yaml" not in run.stderr


def test_moments_resolve_after_the_clock_in_the_zone_given() -> None:
    chicago = ZoneInfo("America/Chicago")
    monday_8 = datetime(2026, 11, 30, 8, 0, tzinfo=chicago)
    assert times.parse("monday 09:30").resolve(monday_8, chicago) == datetime(2026, 11, 30, 9, 30, tzinfo=chicago)
    assert times.parse("Monday 07:00").resolve(monday_8, chicago) == datetime(2026, 12, 7, 7, 0, tzinfo=chicago)
    assert times.parse("tomorrow 15:00").resolve(monday_8, chicago).day == 1
    denver = times.parse("+7d 09:00 America/Denver").resolve(monday_8, chicago)
    assert denver == datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("America/Denver"))
    with pytest.raises(ValueError, match="not a moment"):
        times.parse("next week sometime")


@pytest.mark.long  # ~2 min of real-time speech: CI runs it in make test-long
@pytest.mark.timeout(600)
def test_audio_mode_speaks_a_subset_through_the_gateway(tmp_path: Path) -> None:
    report_path = tmp_path / "audio.json"
    run = voicepod_eval("--audio", "--scenario", "mls-down", "--scenario", "barge-in-picks-listing",
                        "--report", str(report_path), "--min-pass-rate", "1.0", timeout=560)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = report_of(report_path)
    assert report["mode"] == "audio" and report["counts"]["pass"] == 2
    for scenario in report["scenarios"]:
        turns = scenario["call"]["turns"]
        for turn, after in zip(turns, [*turns[1:], None], strict=True):
            # Heard by the gateway's STT, answered, and the answer heard back from its audio; a reply
            # the next line barges into at once reached the caller (a few syllables: maybe no words).
            assert turn["heard_as"] and turn["replies"], turn
            assert turn["reply_heard_as"] or (after is not None and after["barge_in"]), turn
            assert 0 < turn["latency_ms"] < 15_000, turn
    barge = {s["name"]: s for s in report["scenarios"]}["barge-in-picks-listing"]["call"]["turns"][1]
    assert barge["barge_in"] and barge["replies"][0].startswith("Great, ")


@pytest.mark.long  # ~1.5 min of real-time speech: CI runs it in make test-long
@pytest.mark.timeout(600)
def test_audio_mode_calls_through_the_phone_bridge(tmp_path: Path) -> None:
    """`--channel phone`: the same lines as 8 kHz μ-law over Twilio's Media Streams protocol to the
    gateway's phone bridge (a signed webhook first); heard, answered, heard back and timed as over
    WebRTC, and a barge-in still takes the floor (the bridge's `clear`)."""
    report_path = tmp_path / "phone.json"
    run = voicepod_eval("--audio", "--channel", "phone", "--scenario", "mls-down", "--scenario",
                        "barge-in-picks-listing", "--report", str(report_path), "--min-pass-rate", "1.0",
                        timeout=560)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = report_of(report_path)
    assert (report["mode"], report["channel"], report["counts"]["pass"]) == ("audio", "phone", 2)
    for scenario in report["scenarios"]:
        assert scenario["call"]["channel"] == "phone"  # as the gateway recorded the call
        for turn in scenario["call"]["turns"]:
            assert turn["heard_as"] and turn["replies"], turn
            assert 0 < turn["latency_ms"] < 15_000, turn
        turns = scenario["call"]["turns"]
        # Each reply was heard back at the caller, but one the next line talks over: cut short by design,
        # after as little as a word (how much depends on the machine's timing), which may be heard as "".
        heard = [t for t, after in zip(turns, [*turns[1:], None], strict=True) if not (after and after["barge_in"])]
        assert heard and all(t["reply_heard_as"] for t in heard), turns
    barge = {s["name"]: s for s in report["scenarios"]}["barge-in-picks-listing"]["call"]["turns"][1]
    assert barge["barge_in"] and barge["replies"][0].startswith("Great, ")
    assert voicepod_eval("--channel", "phone", timeout=60).returncode == 2  # a channel is for audio mode only


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_persona_calls_report_their_outcome(tmp_path: Path) -> None:
    """Two adaptive persona calls: whatever the dialog does, each is judged (goal met or not, wrong
    bookings and texts, re-asks) and the totals add up; exit 2 only for a broken persona file."""
    report_path = tmp_path / "personas.json"
    run = voicepod_eval("--personas", "--scenario", "maria-orlando-lakeview", "--scenario", "gus-raleigh-hangs-up",
                        "--report", str(report_path), "--min-pass-rate", "0.5")  # fmt: skip
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-2000:]
    report = report_of(report_path)
    totals, personas = report["totals"], report["personas"]
    assert totals["calls"] == 2 and [p["name"] for p in personas] == ["gus-raleigh-hangs-up", "maria-orlando-lakeview"]
    for p in personas:
        assert p["turns"] >= 2 and p["call"]["turns"][0]["said"].startswith("hi"), p
        assert p["met"] or p["why"], p  # a missed goal says why
    assert totals["wrong_bookings"] == sum(p["wrong_bookings"] for p in personas)
    assert (run.returncode == 0) == (totals["goal_met_rate"] >= 0.5 and totals["wrong_bookings"] == 0
                                     and totals["wrong_texts"] == 0)  # fmt: skip
    assert "persona calls, goal met" in run.stdout

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "p.yaml").write_text("goal: {city: Austin}\n")
    broken = voicepod_eval("--personas", "--dir", str(tmp_path / "broken"), timeout=60)
    assert broken.returncode == 2 and "p.yaml: goal: 'listing' is a required property" in broken.stderr, broken.stderr


AUDIO_PERSONAS = ("linh-austin-friday-four", "noor-denver-all-at-once", "gus-raleigh-hangs-up")


@pytest.mark.long
@pytest.mark.timeout(1500)
def test_persona_calls_in_audio_with_three_caller_voices(tmp_path: Path) -> None:
    """The CI subset of `voicepod eval --personas --audio`: three personas, three espeak-ng voices
    unlike the agent's, each line heard by the gateway's STT and each reply timed at the caller."""
    report_path = tmp_path / "audio-personas.json"
    args = [a for name in AUDIO_PERSONAS for a in ("--scenario", name)]
    run = voicepod_eval("--personas", "--audio", *args, "--report", str(report_path), "--min-pass-rate", "0",
                        timeout=1450)  # fmt: skip
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-2000:]
    report = report_of(report_path)
    assert report["mode"] == "audio" and report["totals"]["calls"] == 3
    for p in report["personas"]:
        assert not p["error"], p
        turns = p["call"]["turns"]
        assert turns and all(t["heard_as"] for t in turns), p["name"]  # the gateway heard every line
        assert all(0 < t["latency_ms"] < 15_000 for t in turns if t["replies"]), p["name"]
    assert report["totals"]["latency_ms_p50"] is not None
