"""`voicepod shadow report`'s figures (pod/shadow_report.py), computed from stored records."""

from __future__ import annotations

from bus.contracts import events_pb2, shadow_pb2
from pod.shadow_command import render
from pod.shadow_report import Gate, figures, same

BOOKED = {"resource": "L1", "time": "2026-12-08T14:00:00-06:00", "name": "John Smith", "phone": "+15123794680"}


def outcome(call_id: str, human: str, agent: str, human_entities: dict[str, str],
            agent_entities: dict[str, str], name: str = "real_estate") -> events_pb2.TranscriptEvent:  # fmt: skip
    body = shadow_pb2.ShadowOutcome(agent_name=name, human_action=human, recommended_action=agent,
                                    human_entities=human_entities, recommended_entities=agent_entities)  # fmt: skip
    return events_pb2.TranscriptEvent(event_id=f"{call_id}-o", call_id=call_id, shadow_outcome=body)


def desk_turn(call_id: str, n: int, name: str = "real_estate") -> events_pb2.TranscriptEvent:
    body = shadow_pb2.ShadowTurn(agent_name=name, human_text="ok", human_turn=n)
    return events_pb2.TranscriptEvent(event_id=f"{call_id}-{n}", call_id=call_id, shadow_turn=body)


def test_spellings_of_the_same_value_agree() -> None:
    assert same("time", "2026-12-08T14:00:00-06:00", "2026-12-08T20:00:00+00:00")
    assert not same("time", "2026-12-08T14:00:00-06:00", "2026-12-08T14:30:00-06:00")
    assert same("phone", "+1 (512) 379-4680", "5123794680") and not same("phone", "", "")
    assert same("name", "john  SMITH", "John Smith") and not same("name", "Jon Smyth", "John Smith")


def test_agreement_on_action_and_entities_and_the_calls_it_would_have_got_wrong() -> None:
    records = [
        desk_turn("a", 1), desk_turn("a", 2), desk_turn("b", 1),
        outcome("a", "commit", "commit", BOOKED, {**BOOKED, "time": "2026-12-08T20:00:00Z"}),  # all agree
        outcome("b", "commit", "commit", BOOKED, {**BOOKED, "name": "Jon Smyth"}),  # the name differs
        outcome("c", "commit", "none", {"resource": "L2"}, {}),  # it would not have booked
        outcome("d", "none", "none", {}, {}),  # nobody booked: agreed, nothing to compare
    ]  # fmt: skip
    (f,) = figures(records).values()
    assert (f.calls, f.desk_turns, f.actions_agreed, f.wrong_calls) == (4, 3, 3, 2)
    assert f.entities_compared == {"resource": 3, "time": 2, "name": 2, "phone": 2}
    assert f.entities_agreed == {"resource": 2, "time": 2, "name": 1, "phone": 2}
    assert (f.action_agreement, f.wrong_rate, f.agreement) == (0.75, 0.5, 0.5)
    assert f.entity_agreement == 7 / 9
    assert [(d.call_id, d.what) for d in f.differences] == [("b", "name"), ("c", "action"), ("c", "resource")]


def test_the_last_outcome_of_a_call_counts_and_agents_are_apart() -> None:
    records = [
        outcome("a", "none", "commit", {}, {}),
        outcome("a", "commit", "commit", BOOKED, BOOKED),  # stored again later: this one
        outcome("x", "commit", "commit", BOOKED, BOOKED, name="clinic"),
    ]
    per_agent = figures(records)
    assert sorted(per_agent) == ["clinic", "real_estate"]
    assert per_agent["real_estate"].calls == 1 and per_agent["real_estate"].wrong_calls == 0


def test_the_gate_needs_both_figures_at_their_bars() -> None:
    assert Gate(0.9, 0.95, 0.8, 0.9).passed
    assert not Gate(0.7, 0.95, 0.8, 0.9).passed  # too often wrong in shadow mode
    assert not Gate(0.9, 0.85, 0.8, 0.9).passed  # the evals below their bar
    unknown = Gate(0.9, None, 0.8, 0.9)
    assert not unknown.passed and "eval pass rate unknown" in unknown.why()


def test_the_printed_report_says_pass_or_fail_per_agent() -> None:
    per_agent = figures([outcome("a", "commit", "commit", BOOKED, BOOKED)])
    text, passed = render(per_agent, {"real_estate": 0.95})
    assert passed and "PASS" in text and "real_estate" in text and "resource 1/1" in text
    text, passed = render(per_agent, {})  # no eval report: the pass rate is unknown
    assert not passed and "go-live FAIL" in text
    other_name = outcome("b", "commit", "commit", BOOKED, {**BOOKED, "name": "J"})
    text, passed = render(figures([other_name]), {"real_estate": 1})
    assert not passed and "differs on name in call b: desk 'John Smith', agent 'J'" in text
