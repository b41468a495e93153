"""Voice-to-voice latency at the caller on the offline default, several calls at once, split by stage.

The gateway runs in this process as `voicepod gateway` does offline: Silero VAD (600 ms of silence
ends a turn), whisper by slot (tiny.en; base on phone-number turns) decoding while the caller
speaks (incremental), the deterministic real-estate agent with its tools on the real services
(in-process, SQLite) over a temporary nats-server, Piper speaking each reply phrase by phrase.
Each caller is its own process (bench/turn_latency_caller.py) saying the booking script
(caller/booking.py) one turn at a time; `--concurrent` calls start `--stagger` s apart.

Rounds alternate the preemptive reply on and off (VOICEPOD_PREEMPTIVE_REPLY: the reply prepared at
the caller's pause, gateway/agent/rehearsal.py), so both meet the same load. Per turn: the
latency at the caller (the line's last voiced sample to the reply's first voiced audio received)
and the gateway's `turn.latency` split (gateway/turn_clock.py); "link" is the rest: the caller's
audio reaching the gateway's VAD and the reply's audio reaching the caller (Opus, RTP on loopback,
jitter buffers) and where the VAD's speech end differs from the line's last voiced sample.

`--cloud`: Deepgram live STT (our VAD ends the turn, a Finalize asks for its final text) and
Deepgram Aura, against a local fake Deepgram that waits as the service would
(bench/turn_latency_cloud.py); the dialog engine stays the deterministic one (no LLM's share), and
every round runs without the preemptive reply (it needs whisper's decode at the pause).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import REGISTRY

from bench.report import replace_section, write_json
from bench.turn_latency_cloud import CloudFakes, cloud_fakes, providers
from bench.turn_latency_stt import ScriptedStt
from bus.connection import connect
from bus.logging import configure_logging
from bus.settings import BusSettings
from caller.booking import BOOKING
from caller.voice import speak
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.providers.choose import choose_stt, choose_tts
from gateway.providers.settings import ProviderSettings
from gateway.providers.stt import SpeechToText
from gateway.providers.stt.fallback import FallbackSTT
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.providers.tts.fallback import FallbackTTS
from gateway.providers.tts.piper_local import PiperLocal
from services.registry import DEFINITIONS
from tests.integration.gateway_helpers import SECRET, gateway
from tests.integration.services_helpers import running
from tests.nats_fixture import start_nats_server

ROUNDS, CONCURRENT, STAGGER = 4, 3, 2.0
GATEWAY_STAGES = ("vad_wait", "stt", "agent", "tts_first", "gateway")
STAGES = (*GATEWAY_STAGES, "link", "caller")
SERVICES = ("mls_lookup", "calendar", "crm_writer", "sms")
CONDITIONS = {True: "prepared at the pause", False: "not prepared"}


async def one_call(url: str, lines: Path, n: int, stagger: float) -> dict[str, Any]:
    """Caller `n`'s process, `n * stagger` seconds after the first; its per-turn figures."""
    await asyncio.sleep(n * stagger)  # the calls' stagger: a caller's start time, not a wait for state
    token = auth.mint(SECRET, subject=f"bench-caller-{n}", ttl_seconds=600)  # one subject per caller: no call limit
    argv = [sys.executable, "-m", "bench.turn_latency_caller", "--url", url, "--token", token, "--lines", str(lines)]
    env = {**os.environ, "VOICEPOD_LOG_LEVEL": "warning"}
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a caller failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


async def run(state: Path, rounds: int, concurrent: int, stagger: float, scripted: bool,
              cloud: bool) -> dict[str, Any]:  # fmt: skip
    os.environ["VOICEPOD_STATE_DIR"] = str(state)
    os.environ.pop("DATABASE_URL", None)
    lines = state / "lines.npz"
    said = [line.say for line in BOOKING if line.say]
    np.savez(lines, *[speak(text) for text in said])  # the caller's voice, synthesised before any call
    server = start_nats_server(state)
    nc = await connect(BusSettings(nats_url=server.url), name="bench-turn-latency")
    whisper = WhisperBySlot(incremental=not cloud)  # the STT, or (cloud) the fallback for a turn Deepgram fails
    out: dict[str, Any] = {"rounds": [], "load_before": os.getloadavg(), "cloud": cloud}
    fakes: CloudFakes | None = None
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name in SERVICES:
                await stack.enter_async_context(running(DEFINITIONS[name], nc))
            stt: SpeechToText = ScriptedStt(said) if scripted else whisper
            tts: PiperLocal | FallbackTTS = PiperLocal()
            extra: dict[str, Any] = {}
            if cloud:
                fakes = await stack.enter_async_context(cloud_fakes(said))
                extra["providers"] = providers(fakes.url)
                stt, tts = _cloud(extra["providers"], whisper)
            gw = await stack.enter_async_context(gateway(nc, stt=stt, **extra))
            for warm_up in (whisper.warm_up, tts.warm_up):  # a cloud voice warms its fallback, Piper
                await asyncio.to_thread(warm_up)
            # First inferences are slower (graph set-up): not part of any caller's turn.
            await tts.synthesize("Warming up.")
            await whisper.transcribe(np.zeros(16_000, dtype=np.int16))
            gw.state.responder_factory = agent_factory(AgentConfig.load("real_estate"), gw.state.bus, tts)
            base = gw.state.settings
            for n in range(rounds):
                prepared = n % 2 == 0 and not cloud
                gw.state.settings = dataclasses.replace(base, preemptive_reply=prepared)
                cpu, wall, before = time.process_time(), time.monotonic(), _prepared_counts()
                calls = await asyncio.gather(*(one_call(gw.ws_url, lines, i, stagger) for i in range(concurrent)))
                cpu, wall = time.process_time() - cpu, time.monotonic() - wall
                turns = sum(len(c["turns"]) for c in calls)
                print(f"round {n + 1}/{rounds} ({CONDITIONS[prepared]}): {turns} turns, gateway CPU {cpu:.1f} s "
                      f"in {wall:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                outcomes = {k: v - before[k] for k, v in _prepared_counts().items()}
                out["rounds"].append({"prepared": prepared, "calls": calls, "gateway_cpu_seconds": cpu,
                                      "wall_seconds": wall, "load": os.getloadavg(), "outcomes": outcomes})  # fmt: skip
    finally:
        whisper.close()
        await nc.close()
        server.stop()
    if fakes is not None:
        out["cloud_fakes"] = fakes.stats
    out["fallbacks"] = _fallbacks()  # turns or sentences the offline provider took over from the cloud one
    return out


def _fallbacks() -> dict[str, float]:
    names = {"voicepod_gateway_stt_fallbacks": "stt", "voicepod_gateway_tts_fallbacks": "tts"}
    return {names[m.name]: sum(s.value for s in m.samples if s.name.endswith("_total"))
            for m in REGISTRY.collect() if m.name in names}  # fmt: skip


def _cloud(p: ProviderSettings, whisper: WhisperBySlot) -> tuple[SpeechToText, FallbackTTS]:
    """Deepgram live STT and Aura as the gateway builds them (choose.py), whisper behind the STT."""
    stt, tts = choose_stt(p), choose_tts(p)
    assert isinstance(stt, FallbackSTT) and isinstance(tts, FallbackTTS)
    stt.backup = whisper  # the one the benchmark warms up and closes
    return stt, tts


def _prepared_counts() -> dict[str, float]:
    """The gateway's prepared-reply counter by outcome (used, dropped, not_prepared)."""
    name = "voicepod_gateway_prepared_replies_total"
    return {o: REGISTRY.get_sample_value(name, {"outcome": o}) or 0.0 for o in ("used", "dropped", "not_prepared")}


def turn_rows(rounds: list[dict[str, Any]], prepared: bool) -> list[dict[str, Any]]:
    """Every turn with both figures, of the rounds in one condition: stages in seconds."""
    rows = []
    for r in rounds:
        if r["prepared"] != prepared:
            continue
        for call in r["calls"]:
            for t in call["turns"]:
                split, at_caller = t["latency"], t["caller_seconds"]
                if split is None or at_caller is None:
                    continue
                row = {stage: split[f"{stage}_seconds"] for stage in GATEWAY_STAGES}
                row |= {"link": at_caller - split["total_seconds"], "caller": at_caller, "used": split["prepared"]}
                rows.append(row)
    return rows


def percentiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return q[49], q[94]


def conditions(rounds: list[dict[str, Any]]) -> dict[bool, str]:
    """The conditions the rounds ran in (--cloud: not prepared only)."""
    return {p: name for p, name in CONDITIONS.items() if any(r["prepared"] == p for r in rounds)}


def summary(out: dict[str, Any]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for prepared, name in conditions(out["rounds"]).items():
        rows = turn_rows(out["rounds"], prepared)
        rounds = [r for r in out["rounds"] if r["prepared"] == prepared]
        stats[name] = {
            "turns": len(rows),
            "used": sum(1 for r in rows if r["used"]),
            "stages": {s: percentiles([r[s] for r in rows]) for s in STAGES} if len(rows) > 1 else {},
            "gateway_cpu_per_turn": sum(r["gateway_cpu_seconds"] for r in rounds) / max(1, len(rows)),
            "problems": [c["problem"] for r in rounds for c in r["calls"] if c["problem"]],
            "booked": sum("booked" in c["said"] for r in rounds for c in r["calls"]),
            "outcomes": {o: sum(r["outcomes"][o] for r in rounds) for o in ("used", "dropped", "not_prepared")},
            "calls": sum(len(r["calls"]) for r in rounds),
        }
    return stats


def table(stats: dict[str, Any], concurrent: int, load: list[float], out: dict[str, Any]) -> str:
    names = list(stats)
    rows = ["| stage | " + " | ".join(f"{n}: p50 / p95 ms" for n in names) + " |", "|---|" + "---:|" * len(names)]
    labels = {"caller": "**voice to voice, at the caller**", "link": "link (both ways, the caller's side)"}
    for stage in STAGES:
        cells = [" / ".join(f"{v * 1000:.0f}" for v in stats[n]["stages"].get(stage, ())) for n in names]
        rows.append(f"| {labels.get(stage, stage)} | " + " | ".join(cells) + " |")
    notes = []
    for n in names:
        s = stats[n]
        o = s["outcomes"]
        notes.append(f"{n}: {s['turns']} turns over {s['calls']} calls ({s['booked']} booked), "
                     f"{s['used']} answered with the prepared reply (prepared replies used / dropped / not "
                     f"preparable: {o['used']:.0f} / {o['dropped']:.0f} / {o['not_prepared']:.0f}), gateway CPU "
                     f"{s['gateway_cpu_per_turn']:.2f} s per turn"
                     f"{'; problems: ' + '; '.join(s['problems']) if s['problems'] else ''}")  # fmt: skip
    note = (f"{concurrent} calls at once per round{', rounds alternating' if len(names) > 1 else ''}; stage "
            f"percentiles are each taken on their own, so they do not add up to the total's. Load average during "
            f"the runs: {min(load):.1f}–{max(load):.1f} on 2 cores, other work on the machine included.")  # fmt: skip
    fake, fell = out.get("cloud_fakes"), out.get("fallbacks", {})
    if fake:
        note += (f" The fake Deepgram: {fake['listeners']} live sockets, {fake['finalizes']} Finalizes answered "
                 f"{fake['delays']['finalize'] * 1000:.0f} ms later, {fake['speak_requests']} /v1/speak requests "
                 f"answered {fake['delays']['speak'] * 1000:.0f} ms to the first byte; turns the whisper fallback "
                 f"took: {fell.get('stt', 0):.0f}, sentences Piper took: {fell.get('tts', 0):.0f}.")  # fmt: skip
    return "\n".join(rows) + "\n\n" + "; ".join(notes) + ".\n\n" + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--concurrent", type=int, default=CONCURRENT)
    parser.add_argument("--stagger", type=float, default=STAGGER)
    parser.add_argument("--no-doc", action="store_true", help="write the JSON only, not docs/performance.md")
    parser.add_argument("--json-name", default="turn_latency", help="bench/results/<name>.json")
    way = parser.add_mutually_exclusive_group()
    way.add_argument(
        "--scripted-stt",
        action="store_true",
        help="the ceiling: each turn heard as its script line at once (bench/turn_latency_stt.py)",
    )
    way.add_argument(
        "--cloud",
        action="store_true",
        help="Deepgram live STT and Aura against a local fake with realistic delays (bench/turn_latency_cloud.py)",
    )
    args = parser.parse_args()
    configure_logging("bench", level="warning")
    with tempfile.TemporaryDirectory() as tmp:
        out = asyncio.run(run(Path(tmp), args.rounds, args.concurrent, args.stagger, args.scripted_stt,
                             args.cloud))  # fmt: skip
    stats = summary(out)
    load = [out["load_before"][0], *(r["load"][0] for r in out["rounds"])]
    path = write_json(args.json_name, {"benchmark": "turn_latency", "concurrent": args.concurrent, **out,
                                       "summary": stats})  # fmt: skip
    md = table(stats, args.concurrent, load, out)
    if not args.no_doc:
        replace_section("turn_latency", md)
    print(md)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
