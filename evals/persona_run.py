"""Persona calls: an adaptive caller (evals.persona_caller) against the real agent and services,
in the same worlds as the scenarios (one nats-server, fresh stores per call, the bus tap), then
the outcome of each call:

- booked: exactly one booking, of the listing it wanted, at a time it wanted or accepted, for its
  number, and one text, to its number; goal met: booked, and nothing written or texted before the
  caller confirmed a read-back (for a caller who hangs up at the read-back: nothing written at all);
- wrong bookings: bookings at a time it never wanted nor accepted, of another listing, or for
  another number (must be 0); wrong texts: texts to another number, or sent unconfirmed (must be 0);
- re-asks: questions the agent asked again; loops (a question asked thrice) and unconfirmed
  writes from the contract checks (evals.contract);
- turn latency (text mode: the agent's time per turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from evals import contract
from evals.agent import new_dialog, services_needed
from evals.effects import Listed, read_effects
from evals.nats import NatsHost
from evals.persona import Persona
from evals.persona_caller import PersonaCaller
from evals.persona_ear import hear
from evals.record import CallRecord, TurnRecord
from evals.scenario import Faults
from evals.world import NEUTRAL_ENV, World, patched_env, seed_mls_template
from gateway.agent.config import AgentConfig
from gateway.agent.engine import DialogEngine
from gateway.responder import CallerTurn

if TYPE_CHECKING:  # the audio modes load aiortc, whisper and Piper: only when asked for
    from evals.caller_line import Channel

CALL_SECONDS = 120.0
AUDIO_CALL_SECONDS = 900.0  # up to MAX_TURNS spoken turns on a busy 2-core machine
NO_AUDIO = np.zeros(0, dtype=np.int16)


@dataclass
class PersonaOutcome:
    name: str
    met: bool = False  # booked (below) and nothing written unconfirmed; a caller who hangs up: nothing written
    booked: bool = False  # exactly what it wanted (or an alternative it accepted), texted to its number
    wrong_bookings: int = 0
    wrong_texts: int = 0
    unconfirmed: int = 0  # writes without a confirmed read-back (contract)
    loops: int = 0  # questions asked more than twice (contract)
    reasks: int = 0
    turns: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # what kept it from "booked"
    error: str | None = None
    record: CallRecord | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "record"}
        r = self.record
        if r is not None:
            out["call"] = {
                "greeting": r.greeting,
                "turns": [
                    {"said": t.said, "heard_as": t.heard_as, "replies": t.replies, "latency_ms": t.latency_ms}
                    for t in r.turns
                ],
                "problem": r.problem,
                "bookings": [{**asdict(b), "start": b.start.isoformat()} for b in r.effects.bookings],
                "texts": [asdict(t) for t in r.effects.texts],
            }
        return out


def persona_clock(persona: Persona, config: AgentConfig) -> Callable[[], datetime]:
    if persona.now is None:
        return lambda: datetime.now(UTC)
    fixed = persona.now.resolve(datetime.now(UTC), ZoneInfo(config.time_zone))
    return lambda: fixed


async def call_as(persona: Persona, world: World, config: AgentConfig, call_id: str,
                  clock: Callable[[], datetime]) -> CallRecord:  # fmt: skip
    """One text-mode call: the agent's greeting, then the caller answers each reply until one hangs up."""
    dialog = new_dialog(config, world.bus, call_id, clock)
    engine = DialogEngine(dialog)
    record = CallRecord(call_id=call_id, mode="text", clock=clock())
    record.greeting = [line.text for line in await engine.greeting()]
    await world.tap.settle(0)
    caller = PersonaCaller(persona, record.clock)
    line: str | None = caller.opening()
    index = 0
    while line is not None:
        index += 1
        started = time.perf_counter()
        replies = [r.text async for r in engine.respond(CallerTurn(index=index, audio=NO_AUDIO, text=line))]
        latency = (time.perf_counter() - started) * 1000
        await world.tap.settle(index)
        record.turns.append(TurnRecord(index, line, replies, latency))
        if engine.ended:
            break
        line = caller.answer(" ".join(replies))
    record.hung_up = not engine.ended
    record.ended = engine.ended
    return record


def judge(persona: Persona, record: CallRecord) -> PersonaOutcome:
    """The outcome of one persona call, from its effects and what was said."""
    out = PersonaOutcome(name=persona.name, record=record, turns=len(record.turns))
    out.latencies_ms = [t.latency_ms for t in record.turns if t.latency_ms is not None]
    caller = PersonaCaller(persona, record.clock)
    goal, effects = persona.goal, record.effects
    phone = goal.phone
    right = []
    for b in effects.bookings:
        local = b.start.astimezone(ZoneInfo(b.time_zone)).replace(tzinfo=None)
        listed = effects.listings.get(b.listing_id)
        problems = []
        if not caller.acceptable(local):
            problems.append(f"booked {local:%a %H:%M}, never wanted nor accepted")
        if b.contact_phone != phone:
            problems.append(f"booked for {b.contact_phone}, not {phone}")
        if listed is None or listed.city.lower() != goal.city.lower():
            problems.append(f"booked {b.listing_id} outside {goal.city}")
        else:
            problems += _listing_misfit(persona, listed)
        if problems:
            out.wrong_bookings += 1
            out.why += problems
        else:
            right.append(b)
    breaches = contract.breaches(record)
    out.unconfirmed = sum(1 for b in breaches if b.assertion.startswith("confirmed."))
    unconfirmed_texts = sum(1 for b in breaches if b.assertion == "confirmed.send_sms")
    out.wrong_texts = sum(1 for t in effects.texts if t.to != phone) + unconfirmed_texts
    out.loops = sum(1 for b in breaches if b.assertion == "no_loops")
    out.reasks = contract.reasks(record)
    texts_ok = [t for t in effects.texts if t.to == phone]
    out.booked = len(effects.bookings) == 1 and len(right) == 1 and len(texts_ok) == len(effects.texts) == 1
    if not effects.bookings:
        out.why.append("nothing booked")
    if effects.bookings and len(texts_ok) != 1:
        out.why.append(f"{len(texts_ok)} texts to {phone}")
    out.why += [f"{b.assertion}: {b.actual}" for b in breaches]
    if persona.behaviour.hang_up_at_read_back:  # it got as far as the read-back, and nothing was written
        last = record.turns[-1].reply if record.turns else ""
        reached = hear(last, record.clock.astimezone(caller.zone).date()).read_back
        out.met = reached and not (effects.bookings or effects.leads or effects.texts)
        out.why = [w for w in out.why if w != "nothing booked"] + ([] if reached else ["no read-back reached"])
    else:  # booked what it wanted, and nothing written or texted before it confirmed
        out.met = out.booked and out.wrong_texts == 0 and out.unconfirmed == 0
    return out


AROUND = 0.15  # "around 400 thousand": within 15 %


def _listing_misfit(persona: Persona, listed: Listed) -> list[str]:
    """Why the booked listing is not one this persona asked for (empty: it fits)."""
    g, out = persona.goal, []
    if "street" in g.listing and g.listing["street"].lower() not in listed.street.lower():
        out.append(f"booked {listed.street}, not the one on {g.listing['street']}")
    if g.bedrooms is not None and listed.bedrooms < g.bedrooms:
        out.append(f"booked {listed.bedrooms} bedrooms, wanted {g.bedrooms}")
    if g.property_type and listed.property_type != g.property_type:
        out.append(f"booked a {listed.property_type}, wanted a {g.property_type}")
    price, b = listed.price_usd, g.budget
    if "around" in b and abs(price - b["around"]) > AROUND * b["around"]:
        out.append(f"booked ${price:,}, wanted around ${b['around']:,}")
    if "max" in b and price > b["max"]:
        out.append(f"booked ${price:,}, over ${b['max']:,}")
    if "min" in b and price < b["min"]:
        out.append(f"booked ${price:,}, under ${b['min']:,}")
    return out


@dataclass
class PersonaReport:
    agent: str
    mode: str
    outcomes: list[PersonaOutcome] = field(default_factory=list)
    seconds: float = 0.0
    channel: str = ""  # audio mode: the line the callers spoke on (webrtc, phone)

    @property
    def met_rate(self) -> float:
        return sum(o.met for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def totals(self) -> dict[str, Any]:
        lat = sorted(x for o in self.outcomes for x in o.latencies_ms)
        n = len(self.outcomes) or 1
        return {
            "calls": len(self.outcomes), "goal_met": sum(o.met for o in self.outcomes),
            "goal_met_rate": round(self.met_rate, 4), "booked": sum(o.booked for o in self.outcomes),
            "wrong_bookings": sum(o.wrong_bookings for o in self.outcomes),
            "wrong_texts": sum(o.wrong_texts for o in self.outcomes),
            "unconfirmed_writes": sum(o.unconfirmed for o in self.outcomes),
            "calls_with_loops": sum(1 for o in self.outcomes if o.loops),
            "reasks_per_call": round(sum(o.reasks for o in self.outcomes) / n, 2),
            "latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
            "latency_ms_p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1) if lat else None,
            "errors": sum(1 for o in self.outcomes if o.error),
        }  # fmt: skip

    def ok(self, min_rate: float) -> bool:
        t = self.totals()
        return self.met_rate >= min_rate and t["wrong_bookings"] == 0 and t["wrong_texts"] == 0

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"agent": self.agent, "mode": self.mode, "channel": self.channel or None,
                "seconds": round(self.seconds, 2), "totals": self.totals(),
                "personas": [o.as_dict() for o in self.outcomes]}  # fmt: skip
        path.write_text(json.dumps(body, indent=2, default=str) + "\n")

    def table(self) -> str:
        width = max([len(o.name) for o in self.outcomes] + [7])
        rows = [f"{'persona':<{width}}  {'goal':<6}  {'wrong':>5}  {'reask':>5}  {'turns':>5}  why not",
                "-" * (width + 50)]  # fmt: skip
        for o in self.outcomes:
            wrong = o.wrong_bookings + o.wrong_texts
            why = o.error or "; ".join(o.why)
            rows.append(f"{o.name:<{width}}  {'met' if o.met else 'NO':<6}  {wrong:>5}  {o.reasks:>5}  "
                        f"{o.turns:>5}  {why[:140]}")  # fmt: skip
        t = self.totals()
        rows.append("-" * (width + 50))
        channel = f" ({self.channel})" if self.channel else ""
        rows.append(f"{self.mode} mode{channel}, agent {self.agent}: {t['calls']} persona calls, "
                    f"goal met {t['goal_met']} "
                    f"({t['goal_met_rate']:.0%}), booked what it wanted {t['booked']}, "
                    f"wrong bookings {t['wrong_bookings']}, wrong texts {t['wrong_texts']}, "
                    f"unconfirmed writes {t['unconfirmed_writes']}, calls with loops {t['calls_with_loops']}, "
                    f"re-asks/call {t['reasks_per_call']}, turn p50/p95 {t['latency_ms_p50']}/{t['latency_ms_p95']} ms "
                    f"in {self.seconds:.1f} s")  # fmt: skip
        return "\n".join(rows)


Place = Callable[[Persona, World, AgentConfig, str, Callable[[], datetime]], Awaitable[CallRecord]]


async def run_personas(
    personas: Sequence[Persona],
    agent: str,
    *,
    audio: bool = False,
    channel: Channel = "webrtc",
    on_result: Callable[[PersonaOutcome], None] = lambda _: None,
) -> PersonaReport:
    config = AgentConfig.load(agent)
    report = PersonaReport(agent=agent, mode="audio" if audio else "text", channel=channel if audio else "")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="voicepod-personas-") as tmp, patched_env(NEUTRAL_ENV):
        root = Path(tmp)
        template = await seed_mls_template(root / "mls-template")
        async with NatsHost(root / "nats") as nats, _placing(audio, nats.url, config, channel) as place:
            for persona in personas:
                outcome = await _one(persona, place, config, nats.url, root / "calls", template)
                report.outcomes.append(outcome)
                on_result(outcome)
    report.seconds = time.perf_counter() - started
    return report


@contextlib.asynccontextmanager
async def _placing(audio: bool, nats_url: str, config: AgentConfig, channel: Channel) -> AsyncIterator[Place]:
    """How a persona call is placed: straight into the engine (text), or spoken to a gateway (audio)."""
    if not audio:
        yield call_as
        return
    from evals.audio_gateway import AudioGateway  # loads whisper, Piper and aiortc: only when asked for
    from evals.persona_audio import VOICES, call_as_audio

    voices = iter(VOICES * 100)
    async with AudioGateway(nats_url, config.name) as gateway:

        async def spoken(persona: Persona, world: World, config: AgentConfig, call_id: str,
                         clock: Callable[[], datetime]) -> CallRecord:  # fmt: skip
            voice = persona.voice or next(voices)
            return await call_as_audio(persona, voice, gateway, world, config, call_id, clock, channel)

        yield spoken


async def _one(
    persona: Persona, place: Place, config: AgentConfig, nats_url: str, root: Path, template: Path
) -> PersonaOutcome:
    call_id = f"eval-persona-{persona.name}"
    try:
        world = World(nats_url, root / persona.name, services_needed(config), Faults(taken=persona.taken), template)
        async with world:
            clock = persona_clock(persona, config)
            for slot in persona.taken:
                await world.book_taken(slot, clock())
            seconds = CALL_SECONDS if place is call_as else AUDIO_CALL_SECONDS
            record = await asyncio.wait_for(place(persona, world, config, call_id, clock), seconds)
            record.tool_calls = list(world.tap.calls)
        record.effects = await read_effects(world.state_dir, call_id)
        outcome = judge(persona, record)
        if record.problem:
            outcome.why.append(f"call: {record.problem}")
        return outcome
    except Exception as exc:  # one broken call is reported; the others still run
        return PersonaOutcome(name=persona.name, error=f"{type(exc).__name__}: {exc}")
