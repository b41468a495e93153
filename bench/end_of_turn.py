"""Cut-offs and dead air: the VAD alone against the end-of-turn model and the words so far
(bench/eot_text.py), eot-bench style.

Caller utterances (bench/eot_speech.py: espeak-ng voices unlike the agent's, some with quiet-room
noise) go frame by frame through our Silero VAD and TurnDetector, as in a call. For each setting:

- **cut-off rate**: paused utterances (300-900 ms of silence mid-sentence) whose turn was ended
  before the caller had finished; the target is <= 5%;
- **dead air**: from the caller's last sound to the turn's end, on the complete utterances (and
  on the paused ones that were not cut off), p50/p95; a turn that never ended counts as the tail.

The model's answer reaches the detector when it would in a call: the turn's audio goes to it
once the short silence has passed, and its verdict counts from the first frame after the
inference's CPU time (measured per inference, one thread). Inferences are cached per (utterance,
moment), so the threshold sweep costs replays, not inferences. eot-bench's headline figure is
the dead air at the setting with the lowest dead air whose cut-off rate is <= 5%; that is
reported for each. The caller set is run twice: the tuning sentences, and held-out sentences in
other voices (bench/eot_speech.py), the words' judge never tuned on them. Writes
bench/results/end_of_turn.json and a section of docs/performance.md. Runtime: 13-28 minutes on 2
shared cores (most of it ~600 whisper decodes), ~3 without the words.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bench.eot_speech import LEAD_IN, TAIL, Utterance, corpus
from bench.eot_text import (
    TEXT_MAX_SILENCE_MS,
    TEXT_SILENCE_MS,
    Decoded,
    TimedDecoder,
    Verdict,
    decode_costs,
    judge_alone,
    replay_text,
)
from bench.report import replace_section, write_json
from gateway.media.end_of_turn import SmartTurn
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, Pcm
from gateway.media.vad import VadStream
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.turns import TurnDetector, TurnEnded, TurnSettings

VAD_STOP_MS = [300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200]
EOT_SILENCE_MS = [200, 300]
EOT_THRESHOLDS = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95]
EOT_MAX_SILENCE_MS = [1000, 1500, 2000]
CUT_OFF_TARGET = 0.05
SHOWN_TEXT_MAX_MS = 1500


class TimedJudge:
    """The real model, answering `cpu_ms` after the question (in frames), cached per question."""

    def __init__(self, model: SmartTurn, utterance: str, cache: dict[tuple[str, int], tuple[float, float, float]]):
        self.model, self.utterance, self.cache = model, utterance, cache
        self.frame = 0
        self.pending: list[tuple[int, Future[float], float]] = []

    def judge(self, audio: Pcm) -> Future[float]:
        key = (self.utterance, len(audio))
        if key not in self.cache:
            wall, cpu = time.perf_counter(), time.thread_time()
            p = self.model.probability(audio)
            self.cache[key] = (p, (time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000)
        p, cpu_ms, _ = self.cache[key]
        future: Future[float] = Future()
        due = self.frame + max(1, math.ceil(cpu_ms / (FRAME_SECONDS * 1000)))  # answered on a later frame
        self.pending.append((due, future, p))
        return future

    def tick(self, frame: int) -> None:
        self.frame = frame
        for item in [x for x in self.pending if x[0] <= frame]:
            self.pending.remove(item)
            item[1].set_result(item[2])


@dataclass
class Outcome:
    name: str
    kind: str  # paused | complete
    cut_off: bool
    dead_air_ms: float | None  # None: cut off (no dead air to speak of) or never ended


def vad_probabilities(u: Utterance) -> list[float]:
    vad = VadStream()
    return [vad.push(u.audio[i : i + IN_FRAME]) for i in range(0, len(u.audio) - IN_FRAME + 1, IN_FRAME)]


def replay(u: Utterance, probs: list[float], settings: TurnSettings, judge: TimedJudge | None) -> Outcome:
    detector = TurnDetector(settings, judge)
    ends: list[float] = []
    for i, p in enumerate(probs):
        if judge is not None:
            judge.tick(i)
        event = detector.feed(u.audio[i * IN_FRAME : (i + 1) * IN_FRAME], p, agent_speaking=False)
        if isinstance(event, TurnEnded):
            ends.append((i + 1) * FRAME_SECONDS)
    return outcome(u, ends)


def outcome(u: Utterance, ends: list[float]) -> Outcome:
    """`ends`: when the turns ended, in seconds into the recording."""
    kind = "paused" if u.pauses else "complete"
    cut_off = any(t < u.speech_end for t in ends)
    after = [t for t in ends if t >= u.speech_end]
    dead_air = (after[0] - u.speech_end) * 1000 if after and not cut_off else None
    return Outcome(u.name, kind, cut_off, dead_air)


def summary(outcomes: list[Outcome], tail_ms: float) -> dict[str, Any]:
    paused = [o for o in outcomes if o.kind == "paused"]
    finished = [o for o in outcomes if not o.cut_off]
    # a turn that never ended is dead air as long as the recording's tail (a lower bound)
    dead = [o.dead_air_ms if o.dead_air_ms is not None else tail_ms for o in finished]
    complete = [o.dead_air_ms if o.dead_air_ms is not None else tail_ms for o in finished if o.kind == "complete"]
    return {
        "cut_off_rate": round(sum(o.cut_off for o in paused) / len(paused), 4),
        "cut_offs": sum(o.cut_off for o in paused),
        "paused": len(paused),
        "never_ended": sum(o.dead_air_ms is None for o in finished),
        "dead_air_complete_p50_ms": round(float(np.percentile(complete, 50))),
        "dead_air_complete_p95_ms": round(float(np.percentile(complete, 95))),
        "dead_air_all_p50_ms": round(float(np.percentile(dead, 50))),
        "dead_air_all_p95_ms": round(float(np.percentile(dead, 95))),
    }


def verdicts(utterances: list[Utterance], model: SmartTurn) -> dict[str, Any]:
    """The model alone, as a classifier: asked 200 ms into each mid-sentence pause, and 200 ms after
    each utterance's end; the share it calls complete at each threshold (ideal: 0 and 1)."""
    rate, preroll = IN_FRAME / FRAME_SECONDS, 0.3
    start = int((LEAD_IN - preroll) * rate)
    mid = [model.probability(u.audio[start : int((a + 0.2) * rate)]) for u in utterances for a, _ in u.pauses]
    end = [model.probability(u.audio[start : int((u.speech_end + 0.2) * rate)]) for u in utterances]
    return {
        str(t): {
            "pauses_called_complete": round(float(np.mean(np.array(mid) >= t)), 3),
            "ends_called_complete": round(float(np.mean(np.array(end) >= t)), 3),
        }
        for t in EOT_THRESHOLDS
    }


async def measure_text(
    utterances: list[Utterance], probs: dict[str, list[float]], stt: WhisperBySlot
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The text end of turn over the sweep; the words' verdicts at the first setting (the shortest
    silence, the longest maximum: every pause long enough for a decode gets one)."""
    cache: dict[Any, Decoded] = {}
    rows: list[dict[str, Any]] = []
    first: list[tuple[Utterance, list[Verdict]]] = []
    for longest in sorted(TEXT_MAX_SILENCE_MS, reverse=True):
        for silence in TEXT_SILENCE_MS:
            s = TurnSettings(end_of_turn="text", eot_silence_ms=silence, eot_max_silence_ms=longest)
            outs = []
            for u in utterances:
                ends, verdicts = await replay_text(u, probs[u.name], s, TimedDecoder(stt, cache))
                outs.append(outcome(u, ends))
                if not rows:
                    first.append((u, verdicts))
            row = {"mode": "text", "eot_silence_ms": silence, "eot_max_silence_ms": longest}
            rows.append({**row, **summary(outs, TAIL * 1000)})
    every = [v for _, vs in first for v in vs]
    said = [{"utterance": u.text, "voice": u.voice, "slot": u.slot, **asdict(v)} for u, vs in first for v in vs]
    return rows, {"decodes": decode_costs(cache), "words_alone": judge_alone(every), "verdicts": said}


def measure(utterances: list[Utterance], model: SmartTurn, stt: WhisperBySlot | None) -> dict[str, Any]:
    """`stt`: also the text end of turn, with this STT (None: not measured)."""
    probs = {u.name: vad_probabilities(u) for u in utterances}
    cache: dict[tuple[str, int], tuple[float, float, float]] = {}
    rows: list[dict[str, Any]] = []
    for stop_ms in VAD_STOP_MS:
        s = TurnSettings(stop_ms=stop_ms)
        outs = [replay(u, probs[u.name], s, None) for u in utterances]
        rows.append({"mode": "vad", "stop_ms": stop_ms, **summary(outs, TAIL * 1000)})
    for silence in EOT_SILENCE_MS:
        for longest in EOT_MAX_SILENCE_MS:
            for threshold in EOT_THRESHOLDS:
                s = TurnSettings(end_of_turn="model", eot_silence_ms=silence, eot_threshold=threshold,
                                 eot_max_silence_ms=longest)  # fmt: skip
                outs = [replay(u, probs[u.name], s, TimedJudge(model, u.name, cache)) for u in utterances]
                row = {"mode": "model", "eot_silence_ms": silence, "eot_threshold": threshold}
                rows.append({**row, "eot_max_silence_ms": longest, **summary(outs, TAIL * 1000)})
    text: dict[str, Any] = {}
    if stt is not None:
        text_rows, text = asyncio.run(measure_text(utterances, probs, stt))
        rows += text_rows
    cpu = [c for _, c, _ in cache.values()]
    wall = [w for _, _, w in cache.values()]
    return {
        "utterances": {
            "paused": sum(bool(u.pauses) for u in utterances),
            "complete": sum(not u.pauses for u in utterances),
            "voices": sorted({u.voice for u in utterances}),
            "noisy": sum(u.noisy for u in utterances),
            "pauses_ms": [round((b - a) * 1000) for u in utterances for a, b in u.pauses],
        },
        "inference": {
            "count": len(cache),
            "cpu_ms_p50": round(float(np.percentile(cpu, 50)), 1),
            "cpu_ms_p95": round(float(np.percentile(cpu, 95)), 1),
            "wall_ms_p50": round(float(np.percentile(wall, 50)), 1),
            "wall_ms_p95": round(float(np.percentile(wall, 95)), 1),
        },
        "model_alone": verdicts(utterances, model),
        "text": text,
        "rows": rows,
        "best": {mode: best(rows, mode) for mode in ("vad", "model", "text") if mode != "text" or text},
    }


def run() -> dict[str, Any]:
    started = time.monotonic()
    model, stt = SmartTurn(), WhisperBySlot()
    callers = measure(corpus(), model, stt)
    held_out = measure(corpus(held_out=True), model, stt)
    agent_voice = measure(corpus(agent_voice=True), model, None)
    stt.close()
    return {"callers": callers, "held_out": held_out, "agent_voice": agent_voice,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def best(rows: list[dict[str, Any]], mode: str) -> dict[str, Any] | None:
    """eot-bench's pick: the lowest dead air among the settings with <= 5% cut-offs."""
    ok = [r for r in rows if r["mode"] == mode and r["cut_off_rate"] <= CUT_OFF_TARGET]
    return min(ok, key=lambda r: (r["dead_air_complete_p50_ms"], r["dead_air_complete_p95_ms"]), default=None)


def setting(r: dict[str, Any]) -> str:
    if r["mode"] == "vad":
        return f"VAD only, stop {r['stop_ms']} ms"
    if r["mode"] == "text":
        return f"words so far, {r['eot_silence_ms']} ms + complete, max {r['eot_max_silence_ms']} ms"
    return f"model, {r['eot_silence_ms']} ms + p >= {r['eot_threshold']}, max {r['eot_max_silence_ms']} ms"


def table(result: dict[str, Any], shown_model: tuple[float, ...]) -> list[str]:
    shown = [r for r in result["rows"] if r["mode"] == "vad" and r["stop_ms"] in (600, 800, 1000)]
    shown += [
        r for r in result["rows"]
        if r["mode"] == "model" and r["eot_silence_ms"] == 200 and r["eot_max_silence_ms"] == 1500
        and r["eot_threshold"] in shown_model
    ]  # fmt: skip
    shown += [r for r in result["rows"] if r["mode"] == "text" and r["eot_max_silence_ms"] == SHOWN_TEXT_MAX_MS]
    for r in result["best"].values():
        if r is not None and r not in shown:
            shown.append(r)
    lines = [
        "| setting | cut-offs | dead air p50 ms | dead air p95 ms | never ended |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in shown:
        star = " **(best ≤ 5%)**" if r in result["best"].values() else ""
        cut = f"{r['cut_off_rate'] * 100:.1f}% ({r['cut_offs']}/{r['paused']})"
        lines.append(
            f"| {setting(r)}{star} | {cut} | {r['dead_air_complete_p50_ms']} | {r['dead_air_complete_p95_ms']}"
            f" | {r['never_ended']} |"
        )
    for mode, name in (("model", "model"), ("text", "words so far")):
        if mode in result["best"] and result["best"][mode] is None:
            lines.append(f"| {name}, any setting swept | none ≤ 5% | | | |")
    alone = result["model_alone"]
    said = ", ".join(
        f"p ≥ {t}: {a['pauses_called_complete'] * 100:.0f}% / {a['ends_called_complete'] * 100:.0f}%"
        for t, a in ((t, alone[str(t)]) for t in (0.5, 0.8, 0.95))
    )
    u, inf = result["utterances"], result["inference"]
    pauses = u["pauses_ms"]
    lines += [
        "",
        f"{u['paused']} paused utterances ({len(pauses)} pauses, {min(pauses)}–{max(pauses)} ms), "
        f"{u['complete']} complete, {u['noisy']} of all with pink noise at -55 dBFS. "
        f"The model alone, 200 ms into a pause / after the end, called complete: {said}. "
        f"{inf['count']} inferences, CPU {inf['cpu_ms_p50']} ms p50 / {inf['cpu_ms_p95']} ms p95 each "
        f"(one thread; wall {inf['wall_ms_p50']} / {inf['wall_ms_p95']} ms on the shared machine).",
    ]
    if result["text"]:
        lines += ["", text_note(result["text"])]
    return lines


def text_note(text: dict[str, Any]) -> str:
    alone, dec = text["words_alone"], text["decodes"]
    share = "{:.0f}%".format

    def called(key: str, count: str) -> str:
        return "n/a" if alone[key] is None else f"{share(alone[key] * 100)} of {alone[count]}"

    return (
        f"The words so far, judged {min(TEXT_SILENCE_MS)} ms into a pause / after the end (once the pause's "
        f"decode is in; a pause the caller ends first gets no verdict), called complete: "
        f"{called('pauses_called_complete', 'pauses_judged')} / {called('ends_called_complete', 'ends_judged')}. "
        f"{dec['count']} whisper decodes (by slot: tiny.en, base for phone numbers), CPU {dec['cpu_ms_p50']} ms "
        f"p50 / {dec['cpu_ms_p95']} ms p95 each (all threads: the delay the replay gives them; wall "
        f"{dec['wall_ms_p50']} / {dec['wall_ms_p95']} ms on the shared machine)."
    )


def markdown(result: dict[str, Any]) -> str:
    callers = result["callers"]
    lines = [f"**Callers** ({', '.join(callers['utterances']['voices'])}):", ""]
    lines += table(callers, (0.5, 0.8, 0.95))
    held = result["held_out"]
    lines += ["", f"**Held out** (other sentences, written before the words' judge, never tuned on; voices "
              f"{', '.join(held['utterances']['voices'])}):", ""]  # fmt: skip
    lines += table(held, (0.5, 0.8, 0.95))
    lines += ["", "**For contrast, the agent's own Piper voice** (natural prosody; not the caller set):", ""]
    lines += table(result["agent_voice"], (0.5, 0.8, 0.95))
    lines += ["", f"Run: {result['seconds']} s (2 cores shared with other work while measuring)."]
    return "\n".join(lines)


def main() -> None:
    result = run()
    path = write_json("end_of_turn", result)
    replace_section("end_of_turn", markdown(result))
    print(markdown(result))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
