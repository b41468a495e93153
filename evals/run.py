"""An eval run: one nats-server, the MLS seeded once, then each scenario in a world of its own
(fresh stores, its faults), replayed in text or audio mode, checked, and reported as it ends.

Scenarios run one after another: the services read their store location from the process
environment when they start, and a scenario's latency figures mean more on a quiet machine.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from evals.agent import services_needed
from evals.checks import Failure, check
from evals.effects import read_effects
from evals.nats import NatsHost
from evals.record import CallRecord
from evals.report import ERROR, FAIL, FIXED, KNOWN, PASS, RunReport, ScenarioResult
from evals.scenario import Scenario
from evals.text_mode import run_text
from evals.world import NEUTRAL_ENV, World, patched_env, seed_mls_template
from gateway.agent.config import AgentConfig

if TYPE_CHECKING:  # the audio modes load aiortc, whisper and Piper: only when asked for
    from evals.caller_line import Channel

TEXT_SCENARIO_SECONDS = 60.0  # a hung service costs a tool deadline (<= 5 s) per request, not more


class Mode(Protocol):
    """How a scenario's call is placed: `run` replays it in a running world."""

    name: str
    scenario_seconds: float

    async def run(
        self, scenario: Scenario, world: World, config: AgentConfig, call_id: str, clock: Callable[[], datetime]
    ) -> CallRecord: ...


class TextMode:
    name = "text"
    scenario_seconds = TEXT_SCENARIO_SECONDS

    async def run(
        self, scenario: Scenario, world: World, config: AgentConfig, call_id: str, clock: Callable[[], datetime]
    ) -> CallRecord:
        return await run_text(scenario, world, config, call_id, clock)


@dataclass(frozen=True)
class RunOptions:
    agent: str = "real_estate"
    pattern: str = "*"
    min_pass_rate: float = 0.9


def _real_now() -> datetime:
    return datetime.now(UTC)


def scenario_clock(scenario: Scenario, config: AgentConfig) -> Callable[[], datetime]:
    """The agent's clock: fixed at the scenario's `now` (in the agent's zone), else the real time."""
    if scenario.now is None:
        return _real_now
    fixed = scenario.now.resolve(_real_now(), ZoneInfo(config.time_zone))
    return lambda: fixed


def _status(scenario: Scenario, failures: int, error: str | None) -> str:
    if error is not None:
        return ERROR
    if scenario.known_failure:
        return KNOWN if failures else FIXED
    return FAIL if failures else PASS


async def run_scenario(
    scenario: Scenario, mode: Mode, nats_url: str, root: Path, config: AgentConfig, mls_template: Path
) -> ScenarioResult:
    call_id = f"eval-{scenario.name}"
    started = time.perf_counter()
    record: CallRecord | None = None
    failures: list[Failure] = []
    error: str | None = None
    try:
        world = World(nats_url, root / scenario.name, services_needed(config), scenario.faults, mls_template)
        async with world:
            clock = scenario_clock(scenario, config)
            record = await asyncio.wait_for(mode.run(scenario, world, config, call_id, clock), mode.scenario_seconds)
            record.tool_calls = list(world.tap.calls)
        # Read after the services stopped: every write they accepted is committed by then.
        record.effects = await read_effects(world.state_dir, call_id)
        failures = check(scenario, record, mode.name)
    except Exception as exc:  # a broken scenario run is reported, and the next one still runs
        error = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-3:])
    return ScenarioResult(
        name=scenario.name, file=str(scenario.path), status=_status(scenario, len(failures), error),
        seconds=time.perf_counter() - started, failures=failures, known_failure=scenario.known_failure,
        error=error, record=record,
    )  # fmt: skip


async def run_evals(
    scenarios: Sequence[Scenario],
    options: RunOptions,
    *,
    audio: bool = False,
    channel: Channel = "webrtc",
    on_start: Callable[[int, int, Scenario], None] = lambda *_: None,
    on_result: Callable[[int, int, ScenarioResult], None] = lambda *_: None,
) -> RunReport:
    config = AgentConfig.load(options.agent)
    report = RunReport(agent=options.agent, mode="audio" if audio else "text", pattern=options.pattern,
                       min_pass_rate=options.min_pass_rate, started_at=_real_now().isoformat(),
                       channel=channel if audio else "")  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="voicepod-eval-") as tmp, patched_env(NEUTRAL_ENV):
        root = Path(tmp)
        template = await seed_mls_template(root / "mls-template")
        async with NatsHost(root / "nats") as nats, _mode(audio, nats.url, config, channel) as mode:
            for position, scenario in enumerate(scenarios, 1):
                on_start(position, len(scenarios), scenario)
                result = await run_scenario(scenario, mode, nats.url, root / "scenarios", config, template)
                report.results.append(result)
                on_result(position, len(scenarios), result)
    report.seconds = time.perf_counter() - started
    return report


def _mode(audio: bool, nats_url: str, config: AgentConfig, channel: Channel) -> AbstractAsyncContextManager[Mode]:
    if not audio:
        return nullcontext(TextMode())
    from evals.audio_mode import AudioMode  # loads whisper, Piper and aiortc: only when asked for

    return AudioMode(nats_url, config, channel)
