"""The eval pass-rate history: every `voicepod eval --report` file in one directory, oldest first.

Two kinds of report (evals/report.py, evals/persona_run.py): scenario runs carry `pass_rate` and
`started_at`; persona runs carry `totals.goal_met_rate` (their moment is the file's). A file that is
not a report (or not JSON) is listed as skipped, not fatal: the directory is the operator's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_REPORTS = 500  # the newest this many files: a sparkline, not an archive


def eval_history(directory: Path | None) -> dict[str, Any]:
    if directory is None:
        return {"directory": None, "series": [], "skipped": []}
    files = (
        sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime)[-MAX_REPORTS:] if directory.is_dir() else []
    )
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    skipped = []
    for path in files:
        point = _point(path)
        if point is None:
            skipped.append(path.name)
            continue
        kind, agent, mode, values = point
        series.setdefault((kind, agent, mode), []).append(values)
    return {
        "directory": str(directory),
        "series": [
            {"kind": kind, "agent": agent, "mode": mode, "runs": sorted(runs, key=lambda r: r["at"])}
            for (kind, agent, mode), runs in sorted(series.items())
        ],
        "skipped": skipped,
    }


def _point(path: Path) -> tuple[str, str, str, dict[str, Any]] | None:
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(report, dict):
        return None
    file_time = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    agent, mode = str(report.get("agent", "?")), str(report.get("mode", "?"))
    if isinstance(report.get("pass_rate"), int | float):
        at = str(report.get("started_at") or file_time)
        counts = report.get("counts")
        total = counts.get("total") if isinstance(counts, dict) else None
        return "scenarios", agent, mode, {"file": path.name, "at": at, "pass_rate": float(report["pass_rate"]),
                                          "ok": bool(report.get("ok")), "total": total}  # fmt: skip
    totals = report.get("totals")
    if isinstance(totals, dict) and isinstance(totals.get("goal_met_rate"), int | float):
        rate = float(totals["goal_met_rate"])
        return "personas", agent, mode, {"file": path.name, "at": file_time, "pass_rate": rate, "ok": None,
                                         "total": totals.get("calls")}  # fmt: skip
    return None
