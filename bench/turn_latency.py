"""Per-turn latency on the offline stack: end of caller speech -> first reply audio, by stage.

The gateway runs in this process as `voicepod gateway` does offline (Silero VAD, whisper
tiny.en, the deterministic real-estate agent, Piper), its tools reach the real services
(in-process, SQLite) on a temporary nats-server. Each call is `voicepod call --script` in
its own process, speaking the booking script (caller/booking.py) one turn at a time.
Every reply's `turn.latency` event splits its latency into: vad_wait (the silence the VAD
waits for before it ends a turn), stt, agent (to the first line, without its TTS),
tts_first (synthesising that line) and gateway (first line -> its first audio frame out);
they add up to total. Percentiles are over all turns of all calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench.report import replace_section, write_json
from bus.connection import connect
from bus.logging import configure_logging
from bus.settings import BusSettings
from caller.booking import BOOKING
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.providers.tts.piper_local import PiperLocal
from services.registry import DEFINITIONS
from tests.integration.gateway_helpers import SECRET, gateway
from tests.integration.services_helpers import running
from tests.nats_fixture import start_nats_server

CALLS = 4
STAGES = ("vad_wait", "stt", "agent", "tts_first", "gateway", "total")
SERVICES = ("mls_lookup", "calendar", "crm_writer", "sms")


async def one_call(url: str, script: Path) -> list[dict[str, Any]]:
    """`voicepod call --script` in its own process; its turn.latency events."""
    argv = [
        sys.executable,
        "-m",
        "pod.cli",
        "call",
        "--script",
        str(script),
        "--url",
        url,
        "--ice-address",
        "127.0.0.1",
    ]
    env = {**os.environ, "VOICEPOD_TOKEN": auth.mint(SECRET, ttl_seconds=600), "VOICEPOD_LOG_LEVEL": "warning"}
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the call failed ({proc.returncode}):\n{err.decode()}")
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return [e for e in events if e["type"] == "turn.latency"]


async def run(state: Path, calls: int) -> list[dict[str, Any]]:
    os.environ["VOICEPOD_STATE_DIR"] = str(state)
    os.environ.pop("DATABASE_URL", None)
    script = state / "booking.yaml"
    # Spoken lines only: after the last one the caller then waits for the whole reply, whose
    # turn.latency it hears (a trailing "expect" would hang up on the reply's first line).
    script.write_text(yaml.safe_dump([{"say": line.say, "expect": line.expect} for line in BOOKING if line.say]))
    server = start_nats_server(state)
    nc = await connect(BusSettings(nats_url=server.url), name="bench-turn-latency")
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name in SERVICES:
                await stack.enter_async_context(running(DEFINITIONS[name], nc))
            gw = await stack.enter_async_context(gateway(nc, stt="whisper"))
            tts = PiperLocal()
            assert gw.state.stt is not None
            for warm_up in (gw.state.stt.warm_up, tts.warm_up):  # type: ignore[attr-defined]
                await asyncio.to_thread(warm_up)
            # First inferences are slower (graph set-up): not part of any caller's turn.
            await tts.synthesize("Warming up.")
            await gw.state.stt.transcribe(np.zeros(16_000, dtype=np.int16))  # type: ignore[attr-defined]
            gw.state.responder_factory = agent_factory(AgentConfig.load("real_estate"), gw.state.bus, tts)
            turns = []
            for n in range(calls):
                found = await one_call(gw.ws_url, script)
                print(f"call {n + 1}/{calls}: {len(found)} turns", flush=True)
                turns += found
            return turns
    finally:
        await nc.close()
        server.stop()


def summary(turns: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for stage in STAGES:
        values = sorted(t[f"{stage}_seconds"] for t in turns)
        q = statistics.quantiles(values, n=100, method="inclusive")
        out[stage] = {"p50": q[49], "p95": q[94], "max": values[-1]}
    return out


def table(stats: dict[str, dict[str, float]], turns: int, calls: int) -> str:
    rows = ["| stage | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for stage, s in stats.items():
        name = f"**{stage}**" if stage == "total" else stage
        rows.append(f"| {name} | {s['p50'] * 1000:.0f} | {s['p95'] * 1000:.0f} | {s['max'] * 1000:.0f} |")
    note = f"{turns} caller turns over {calls} booking calls; stage percentiles are each taken on their own."
    return "\n".join(rows) + f"\n\n{note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=CALLS)
    calls = parser.parse_args().calls
    configure_logging("bench", level="warning")
    with tempfile.TemporaryDirectory() as tmp:
        turns = asyncio.run(run(Path(tmp), calls))
    stats = summary(turns)
    path = write_json("turn_latency", {"benchmark": "turn_latency", "calls": calls, "turns": turns, "stages": stats})
    md = table(stats, len(turns), calls)
    replace_section("turn_latency", md)
    print(md)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
