"""`voicepod shadow report`: how the agent's recommendations in shadow mode compare with what the
people at the desk did, per agent, and its go-live gate (docs/modes.md). The records come from the
transcript service; the bar from the agent's yaml (go_live); the eval pass rate from a report that
`voicepod eval --report PATH` wrote.

Exit codes: 0 every agent reported passes its gate, 1 one does not (or nothing was recorded),
2 the services could not be asked (or the eval report could not be read).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from bus import subjects
from bus.contracts import transcript_pb2
from gateway.agent.config import AgentConfig, GoLiveBar
from pod import ops_bus
from pod.ops_format import since, table
from pod.shadow_report import COMPARED, AgentFigures, Gate, figures

HEADER = ("AGENT", "CALLS", "DESK TURNS", "ACTION AGREED", "ENTITIES AGREED", "WOULD HAVE GONE WRONG", "GO-LIVE")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def eval_rates(path: Path | None) -> dict[str, float]:
    """Pass rate per agent from `voicepod eval --report` files ({} without one)."""
    if path is None:
        return {}
    try:
        doc = json.loads(path.read_text())
        return {str(doc["agent"]): float(doc["pass_rate"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ops_bus.OpsError(f"cannot read the eval report {path}: {exc}") from None


def gate(f: AgentFigures, rates: dict[str, float]) -> Gate:
    try:
        bar = AgentConfig.load(f.agent).go_live
    except (OSError, KeyError):  # an agent no longer configured here: the default bar
        bar = GoLiveBar()
    return Gate(f.agreement, rates.get(f.agent), bar.shadow_agreement, bar.eval_pass_rate)


def render(per_agent: dict[str, AgentFigures], rates: dict[str, float]) -> tuple[str, bool]:
    """The report's text, and whether every agent passed its gate."""
    rows, notes, passed = [], [], bool(per_agent)
    for name in sorted(per_agent):
        f = per_agent[name]
        g = gate(f, rates)
        passed = passed and g.passed
        rows.append([name, str(f.calls), str(f.desk_turns), _pct(f.action_agreement), _pct(f.entity_agreement),
                     _pct(f.wrong_rate), "PASS" if g.passed else "FAIL"])  # fmt: skip
        by_entity = ", ".join(f"{e} {f.entities_agreed.get(e, 0)}/{f.entities_compared[e]}"
                              for e in COMPARED if e in f.entities_compared)  # fmt: skip
        notes.append(f"{name}: entities agreed: {by_entity or 'none compared'}")
        notes.extend(f"  differs on {d.what} in call {d.call_id}: desk {d.human!r}, agent {d.agent!r}"
                     for d in f.differences)  # fmt: skip
        notes.append(f"  go-live {'PASS' if g.passed else 'FAIL'}: {g.why()}")
    return table(HEADER, rows, right=frozenset({1, 2, 3, 4, 5})) + "\n\n" + "\n".join(notes), passed


async def report(services: ops_bus.Services, request: transcript_pb2.ListShadowRecordsRequest,
                 rates: dict[str, float], as_json: bool) -> int:  # fmt: skip
    reply = await services.ask(subjects.LIST_SHADOW_RECORDS, request)
    per_agent = figures(reply.records)
    if as_json:
        doc = [{**f.as_dict(), "go_live": _gate_dict(gate(f, rates))} for f in per_agent.values()]
        print(json.dumps(doc, indent=2))
        return 0 if per_agent and all(d["go_live"]["passed"] for d in doc) else 1
    if not per_agent:
        print("no shadow-mode records")
        return 1
    text, passed = render(per_agent, rates)
    print(text)
    return 0 if passed else 1


def _gate_dict(g: Gate) -> dict[str, Any]:
    return {"passed": g.passed, "agreement": g.agreement, "eval_pass_rate": g.eval_pass_rate,
            "bar": {"shadow_agreement": g.bar_agreement, "eval_pass_rate": g.bar_eval}}  # fmt: skip


def run_report(args: argparse.Namespace) -> int:
    request = transcript_pb2.ListShadowRecordsRequest(agent_name=args.agent or "")
    if args.since is not None:
        ts = Timestamp()
        ts.FromDatetime(args.since)
        request.since.CopyFrom(ts)

    async def work(services: ops_bus.Services) -> int:
        return await report(services, request, eval_rates(args.eval_report), args.json)

    return ops_bus.run(args, "shadow report", work)


def add_to(commands: Any) -> None:
    s = commands.add_parser("shadow", help="shadow mode: how the agent's recommendations compare with the desk")
    sub = s.add_subparsers(dest="shadow_command", required=True, metavar="COMMAND")
    r = sub.add_parser("report", help="per agent: agreement on entities and final action, differences, go-live gate")
    r.add_argument("--since", type=since, default=None, metavar="WHEN",
                   help="only records since: an age (30m, 2h, 7d) or an ISO date/time")  # fmt: skip
    r.add_argument("--agent", default=None, help="only this agent's records")
    r.add_argument("--eval-report", type=Path, default=None, metavar="PATH",
                   help="the JSON report of `voicepod eval --report PATH`: its pass rate goes into the gate "
                   "(without it the gate fails: the pass rate is unknown)")  # fmt: skip
    r.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    ops_bus.add_bus_arguments(r)
    r.set_defaults(run=run_report)
