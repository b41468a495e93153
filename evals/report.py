"""The outcome of an eval run: a progress line per scenario, a pass-rate table on the terminal,
and a JSON report (for CI artefacts and trend lines) with, for each failure, the assertion, the
expected and the actual value, next to the whole conversation.

Known failures (a genuine bug, marked in the scenario) are counted apart: they neither pass
nor drag the pass rate, and one that starts passing is flagged so its mark gets removed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals.checks import Failure
from evals.record import CallRecord

PASS, FAIL, ERROR, KNOWN, FIXED = "pass", "fail", "error", "known_failure", "fixed"
STATUSES = (PASS, FAIL, ERROR, KNOWN, FIXED)


@dataclass
class ScenarioResult:
    name: str
    file: str
    status: str
    seconds: float
    failures: list[Failure] = field(default_factory=list)
    known_failure: str | None = None
    error: str | None = None
    record: CallRecord | None = None

    def max_latency_ms(self) -> float | None:
        values = [t.latency_ms for t in self.record.turns if t.latency_ms is not None] if self.record else []
        return max(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "file": self.file, "status": self.status, "seconds": round(self.seconds, 3),
            "known_failure": self.known_failure, "error": self.error,
            "failures": [f.as_dict() for f in self.failures],
        }  # fmt: skip
        r = self.record
        if r is not None:
            out["call"] = {
                "call_id": r.call_id,
                "clock": r.clock.isoformat(),
                "greeting": r.greeting,
                "turns": [
                    {**asdict(t), "latency_ms": None if t.latency_ms is None else round(t.latency_ms, 1)}
                    for t in r.turns
                ],
                "problem": r.problem,
                "channel": r.channel or None,
                "hung_up": r.hung_up,
                "ended": r.ended,
                "stage": r.stage,
                "bookings": [{**asdict(b), "start": b.start.isoformat()} for b in r.effects.bookings],
                "leads": [asdict(lead) for lead in r.effects.leads],
                "texts": [asdict(t) for t in r.effects.texts],
                "tool_calls": [{**asdict(t), "start": t.start.isoformat() if t.start else None} for t in r.tool_calls],
            }
        return out


@dataclass
class RunReport:
    agent: str
    mode: str
    pattern: str
    min_pass_rate: float
    started_at: str
    seconds: float = 0.0
    results: list[ScenarioResult] = field(default_factory=list)
    channel: str = ""  # audio mode: the line the caller spoke on (webrtc, phone)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def pass_rate(self) -> float:
        """Passed over passed + failed + errors; known failures and fixed ones are reported apart
        (a run of known failures only has nothing that regressed: 1.0)."""
        counted = self.count(PASS) + self.count(FAIL) + self.count(ERROR)
        return self.count(PASS) / counted if counted else 1.0

    @property
    def ok(self) -> bool:
        return self.pass_rate >= self.min_pass_rate

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent, "mode": self.mode, "channel": self.channel or None, "scenario_glob": self.pattern,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 2), "pass_rate": round(self.pass_rate, 4),
            "min_pass_rate": self.min_pass_rate, "ok": self.ok,
            "counts": {s: self.count(s) for s in STATUSES} | {"total": len(self.results)},
            "scenarios": [r.as_dict() for r in self.results],
        }  # fmt: skip

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str) + "\n")


LABEL = {PASS: "PASS", FAIL: "FAIL", ERROR: "ERROR", KNOWN: "KNOWN", FIXED: "FIXED?"}


def _clip(value: Any, width: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def progress_line(position: int, total: int, result: ScenarioResult) -> str:
    """One scenario done: its status, time, and the reasons when it did not pass."""
    lines = [f"[{position:>{len(str(total))}}/{total}] {LABEL[result.status]:<6} {result.name} "
             f"({result.seconds:.1f} s)"]  # fmt: skip
    if result.status == KNOWN:
        lines.append(f"        known failure: {result.known_failure}")
    if result.status == FIXED:
        lines.append("        passes now: remove its known_failure mark")
    if result.error:
        lines.append(f"        error: {_clip(result.error, 400)}")
    if result.status in (FAIL, KNOWN):
        for f in result.failures:
            lines.append(f"        {f.assertion}: expected {_clip(f.expected)}, actual {_clip(f.actual)}")
    return "\n".join(lines)


def table(report: RunReport) -> str:
    """The pass-rate table: one row per scenario, then the totals."""
    width = max([len(r.name) for r in report.results] + [8])
    rows = [f"{'scenario':<{width}}  {'result':<6}  {'turns':>5}  {'max ms':>7}  {'secs':>5}  first failure",
            "-" * (width + 48)]  # fmt: skip
    for r in report.results:
        turns = len(r.record.turns) if r.record else 0
        latency = r.max_latency_ms()
        first = r.failures[0].assertion if r.failures else (r.error or "")[:60]
        rows.append(f"{r.name:<{width}}  {LABEL[r.status]:<6}  {turns:>5}  "
                    f"{'-' if latency is None else f'{latency:.0f}':>7}  {r.seconds:>5.1f}  {first}")  # fmt: skip
    rows.append("-" * (width + 48))
    counts = ", ".join(f"{report.count(s)} {s.replace('_', ' ')}" for s in STATUSES if report.count(s))
    verdict = "OK" if report.ok else "BELOW THRESHOLD"
    channel = f" ({report.channel})" if report.channel else ""
    rows.append(f"{report.mode} mode{channel}, agent {report.agent}: {len(report.results)} scenarios ({counts}) in "
                f"{report.seconds:.1f} s; pass rate {report.pass_rate:.1%} (minimum {report.min_pass_rate:.0%}): "
                f"{verdict}")  # fmt: skip
    repeated = sum(t.repeated for r in report.results if r.record for t in r.record.turns)
    if repeated:
        rows.append(f"lines said twice because the gateway heard nothing of them the first time: {repeated}")
    return "\n".join(rows)
