"""`voicepod eval`: replay the synthetic calls of evals/scenarios and assert on what they leave behind.

Exit codes: 0 when the pass rate reaches --min-pass-rate, 1 below it, 2 when a scenario file is
broken or nothing matches (a run that checks nothing must not look green).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a fraction between 0 and 1, e.g. 0.9")
    return value


def run(args: argparse.Namespace) -> int:
    from bus.logging import configure_logging
    from evals.report import ScenarioResult, progress_line, table
    from evals.run import RunOptions, run_evals
    from evals.scenario import Scenario, ScenarioError, load_scenarios, scenario_dir
    from pod.settings import log_level

    # The services and the agent log at info; the eval's own output is the progress and the table.
    configure_logging("eval", level=log_level("error"), fmt="console")
    if args.channel != "webrtc" and not args.audio:
        print("voicepod eval: --channel is for audio mode (--audio)", file=sys.stderr)
        return 2
    if args.personas:
        return _run_personas(args)
    directory = Path(args.dir) if args.dir else scenario_dir(args.agent)
    try:
        scenarios = load_scenarios(directory, args.agent, args.scenario or ["*"])
    except ScenarioError as exc:
        print(f"voicepod eval: bad scenario: {exc}", file=sys.stderr)
        return 2
    if args.audio:
        skipped = [s.name for s in scenarios if not s.audio]
        scenarios = [s for s in scenarios if s.audio]
        if skipped:
            print(f"audio mode: {len(scenarios)} scenarios marked audio: true; {len(skipped)} text-only skipped")
    if not scenarios:
        print(f"voicepod eval: no scenario in {directory} matches {' or '.join(args.scenario or ['*'])}",
              file=sys.stderr)  # fmt: skip
        return 2
    mode = f"audio mode ({args.channel})" if args.audio else "text mode"
    print(f"voicepod eval: {len(scenarios)} {args.agent} scenarios, {mode}", flush=True)

    live = sys.stdout.isatty()

    def starting(position: int, total: int, scenario: Scenario) -> None:
        if live:  # overwritten by the result line
            print(f"[{position:>{len(str(total))}}/{total}] ...    {scenario.name}", end="\r", flush=True)

    def show(position: int, total: int, result: ScenarioResult) -> None:
        print(("\x1b[2K" if live else "") + progress_line(position, total, result), flush=True)

    options = RunOptions(agent=args.agent, pattern=" ".join(args.scenario or ["*"]), min_pass_rate=args.min_pass_rate)
    report = asyncio.run(run_evals(scenarios, options, audio=args.audio, channel=args.channel, on_start=starting,
                                   on_result=show))  # fmt: skip
    print()
    print(table(report))
    if args.report:
        report.write(Path(args.report))
        print(f"report: {args.report}")
    return 0 if report.ok else 1


def _run_personas(args: argparse.Namespace) -> int:
    """Adaptive persona calls (evals/personas/AGENT): booked, wrong bookings/texts, re-asks, latency."""
    from evals.persona import PersonaError, load_personas, persona_dir
    from evals.persona_run import PersonaOutcome, PersonaReport, run_personas

    directory = Path(args.dir) if args.dir else persona_dir(args.agent)
    try:
        personas = load_personas(directory, args.scenario or ["*"])
    except PersonaError as exc:
        print(f"voicepod eval: bad persona: {exc}", file=sys.stderr)
        return 2
    if not personas:
        print(f"voicepod eval: no persona in {directory} matches", file=sys.stderr)
        return 2
    mode = f"audio mode ({args.channel})" if args.audio else "text mode"
    print(f"voicepod eval: {len(personas)} {args.agent} personas, {mode}", flush=True)

    so_far = PersonaReport(agent=args.agent, mode="audio" if args.audio else "text",
                           channel=args.channel if args.audio else "")  # fmt: skip

    def show(outcome: PersonaOutcome) -> None:
        verdict = "MET" if outcome.met else "NOT MET"
        print(f"  {verdict:<10} {outcome.name} ({outcome.turns} turns) {outcome.error or '; '.join(outcome.why)}"[:400],
              flush=True)  # fmt: skip
        if args.report:  # a long audio run's calls so far are kept, should it be stopped
            so_far.outcomes.append(outcome)
            so_far.write(Path(args.report))

    report = asyncio.run(run_personas(personas, args.agent, audio=args.audio, channel=args.channel, on_result=show))
    print()
    print(report.table())
    if args.report:
        report.write(Path(args.report))
        print(f"report: {args.report}")
    return 0 if report.ok(args.min_pass_rate) else 1


def add_to(commands: Any) -> None:
    e = commands.add_parser("eval", help="replay synthetic calls (evals/scenarios) and check what they leave behind")
    e.add_argument("--audio", action="store_true",
                   help="speak each line (Piper) to an in-process gateway over WebRTC and transcribe the replies; "
                   "runs the scenarios marked audio: true")  # fmt: skip
    e.add_argument("--channel", choices=("webrtc", "phone"), default="webrtc",
                   help="with --audio: the line the caller speaks on: WebRTC (default), or a phone line through the "
                   "gateway's Twilio bridge (Media Streams, 8 kHz mu-law, on 127.0.0.1)")  # fmt: skip
    e.add_argument("--agent", default="real_estate", help="the agent (agents/NAME.yaml; default real_estate)")
    e.add_argument("--personas", action="store_true",
                   help="adaptive persona callers (evals/personas/AGENT) instead of scripted scenarios; "
                   "--scenario and --dir then select personas")  # fmt: skip
    e.add_argument("--scenario", action="append", metavar="GLOB",
                   help="only scenarios whose name matches (repeatable; default: all)")  # fmt: skip
    e.add_argument("--dir", default=None, help="scenario directory (default: evals/scenarios/AGENT)")
    e.add_argument("--report", default=None, metavar="PATH", help="write the JSON report here")
    e.add_argument("--min-pass-rate", type=_rate, default=0.9, metavar="RATE",
                   help="exit 1 when the pass rate is below this fraction (default 0.9)")  # fmt: skip
    e.set_defaults(run=run)
