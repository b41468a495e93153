"""Reply text known -> its first audio handed to playout, offline Piper: before (whole lines, Piper
on onnxruntime's default threads) against after (one thread; the first sentence cut at a phrase,
then whole sentences), in one run on this machine.

The replies are the agent's own: the real-estate evals in text mode (the real dialog, its tools on
the real services) give each turn's reply lines. Turns spread over them are spoken again through
the gateway's AgentResponder and Piper as a call speaks them, every way in turn (the order turned
about each time, so all see the same machine), and timed from the engine yielding the first line
to the first piece's `PlayoutTrack.play` (the next 20 ms tick sends it: turn_latency's "gateway").
The rest is handed over piece by piece while the first plays; a piece handed over after the audio
before it has run out leaves a gap the caller hears (an underrun): counted too.
Conditions: one call at a time, and `--busy N` calls whose replies start at the same moment on the
gateway's one Piper (one synthesis thread per process, as in `voicepod gateway`).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import replace_section, write_json
from bus.logging import configure_logging
from evals.checks import heard_fraction
from evals.run import RunOptions, run_evals
from evals.scenario import load_scenarios, scenario_dir
from gateway.agent.engine import Line
from gateway.agent.responder import AgentResponder
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import IN_RATE, OUT_RATE, resample
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.tts.piper_local import PiperLocal, voice_path
from gateway.responder import CallerTurn

# mode: (Piper loaded as before, phrases)
MODES = {"before: whole lines, piper's threads": (True, False), "whole lines": (False, False),
         "phrases": (False, True)}  # fmt: skip
BUSY = 3
REPLIES = 60
TURN = CallerTurn(index=1, audio=np.zeros(0, dtype=np.int16), text="")


class Replay:
    """An engine that says a turn's reply lines again, noting when the first was known (the engine's
    own time is not what is measured here)."""

    name = "replay"
    wants_text = False
    ended = False
    expecting = None

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.known = 0.0

    async def greeting(self) -> list[Line]:
        return []

    async def respond(self, turn: CallerTurn) -> AsyncIterator[Line]:
        self.known = time.perf_counter()
        for text in self.lines:
            yield Line(text)

    def heard(self, text: str) -> None:
        return None

    async def close(self) -> None:
        return None


@functools.cache
def _piper_default(path: Path) -> Any:
    from piper import PiperVoice

    return PiperVoice.load(str(path))


class PiperAsBefore(PiperLocal):
    """Piper as the gateway loaded it before: piper's own loader, onnxruntime's default threads."""

    def voice(self) -> Any:
        return _piper_default(voice_path())


async def agent_replies() -> list[list[str]]:
    """Every turn's reply lines over the real-estate evals (text mode)."""
    report = await run_evals(load_scenarios(scenario_dir("real_estate"), "real_estate"), RunOptions())
    return [t.replies for r in report.results if r.record for t in r.record.turns if t.replies]


async def speak(lines: list[str], tts: PiperLocal, phrases: bool) -> dict[str, Any]:
    """One reply as a call speaks it: the first audio's delay, its pieces, and any gap between them."""
    engine = Replay(lines)
    agent = AgentResponder(engine, tts, phrases=phrases)
    playout = PlayoutTrack()
    first_at = playing_until = 0.0
    gaps: list[float] = []
    async for speech in agent.reply(TURN):
        now = time.perf_counter()
        if not gaps:
            first_at = playing_until = now
        gaps.append(max(0.0, now - playing_until))
        assert isinstance(speech.audio, np.ndarray)  # Piper gives PCM
        playing_until = max(now, playing_until) + len(speech.audio) / OUT_RATE
        playout.play(Utterance(audio=speech.audio, text=speech.text))
    playout.release()
    return {"first_audio": first_at - engine.known, "pieces": len(gaps), "gap": sum(gaps), "gap_max": max(gaps)}


async def measure(replies: list[list[str]], busy: int) -> dict[str, list[dict[str, Any]]]:
    """Each reply in every mode, the order turned about each time; with `busy` > 1, that many calls'
    replies at once on one Piper."""
    voices = {mode: (PiperAsBefore() if before else PiperLocal()) for mode, (before, _) in MODES.items()}
    for tts in voices.values():
        await asyncio.to_thread(tts.warm_up)
        await tts.synthesize("Warming up.")  # the first inference sets up the graph: no caller's turn
    out: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    for n in range(0, len(replies), busy):
        group = replies[n : n + busy]
        order = list(MODES.items()) if (n // busy) % 2 == 0 else list(reversed(MODES.items()))
        for mode, (_, phrases) in order:
            out[mode] += await asyncio.gather(*(speak(lines, voices[mode], phrases) for lines in group))
    return out


async def heard(replies: list[list[str]]) -> dict[str, float]:
    """Each reply's first line as the caller hears it, whole and in pieces (pauses as played),
    transcribed by whisper tiny.en: the share of its words heard, a check that cutting costs no
    intelligibility (not a measure of prosody)."""
    tts, stt = PiperLocal(), WhisperLocal(bias=False)
    shares: dict[str, list[float]] = {"whole lines": [], "phrases": []}
    for lines in replies:
        for mode, phrases in (("whole lines", False), ("phrases", True)):
            agent = AgentResponder(Replay(lines[:1]), tts, phrases=phrases)
            audio = np.concatenate([np.asarray(s.audio) async for s in agent.reply(TURN)])
            said = await stt.transcribe(resample(audio, OUT_RATE, IN_RATE))
            shares[mode].append(heard_fraction(lines[0], said.text))
    return {mode: statistics.mean(values) for mode, values in shares.items()}


def stats(rows: list[dict[str, Any]]) -> dict[str, float]:
    first = sorted(r["first_audio"] for r in rows)
    q = statistics.quantiles(first, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "max": first[-1], "gapped": sum(r["gap_max"] > 0.02 for r in rows) / len(rows),
            "gap_max": max(r["gap_max"] for r in rows)}  # fmt: skip


def table(summary: dict[str, dict[str, dict[str, float]]], replies: int, busy: int) -> str:
    out = ["| condition | speech | first audio p50 ms | p95 ms | max ms | replies gapped > 20 ms | longest gap ms |",
           "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for condition, modes in summary.items():
        for mode, s in modes.items():
            out.append(f"| {condition} | {mode} | {s['p50'] * 1000:.0f} | {s['p95'] * 1000:.0f} | "
                       f"{s['max'] * 1000:.0f} | {s['gapped']:.1%} | {s['gap_max'] * 1000:.0f} |")  # fmt: skip
    note = (f"{replies} replies (turns spread over the 76 real-estate eval scenarios), each spoken every way in each "
            f"condition; busy: {busy} calls' replies starting together on the gateway's one Piper.")  # fmt: skip
    return "\n".join(out) + f"\n\n{note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=BUSY, help="calls replying at once in the busy condition")
    parser.add_argument("--replies", type=int, default=REPLIES, help="turns to replay, spread over the evals")
    args = parser.parse_args()
    configure_logging("bench", level="warning")
    every = asyncio.run(agent_replies())
    replies = [every[round(i * len(every) / args.replies)] for i in range(min(args.replies, len(every)))]
    print(f"{len(replies)} of {len(every)} replies", flush=True)
    load = [os.getloadavg()[0]]  # other work on the machine: the figures depend on it
    runs = {"one call": asyncio.run(measure(replies, 1))}
    load.append(os.getloadavg()[0])
    runs[f"{args.busy} calls at once"] = asyncio.run(measure(replies, args.busy))
    load.append(os.getloadavg()[0])
    summary = {condition: {mode: stats(rows) for mode, rows in run.items()} for condition, run in runs.items()}
    understood = asyncio.run(heard(replies))
    path = write_json("tts_first_audio", {"benchmark": "tts_first_audio", "busy": args.busy, "replies": replies,
                                          "load_average_1m": load, "summary": summary, "runs": runs,
                                          "words_heard": understood})  # fmt: skip
    md = table(summary, len(replies), args.busy)
    md += "\n\nOf the first lines' words, whisper tiny.en hears: " + ", ".join(
        f"{mode} {share:.1%}" for mode, share in understood.items()) + "."  # fmt: skip
    replace_section("tts_first_audio", md)
    print(md)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
