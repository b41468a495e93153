"""False interruptions: does the agent's reply survive a backchannel, and how fast does it stop for a
real interruption?

Each trial is one call's real turn loop (gateway/turn_loop.py: Silero VAD, the turn detector with
the default settings, the offline STT whisper by slot, the interruption rule) on a scripted link
that hands over the caller's 20 ms frames in real time, with the agent's 3 s reply playing on a
real PlayoutTrack pulled in real time. 0.6 s into the reply the caller makes one sound:

- a **backchannel** (espeak-ng voices unlike the agent's: "uh-huh", "okay", "I see", ...) or a
  **noise burst** (sox: coughs, a knock, a breath, bursts of noise, a throat-clear and a hum,
  each at two levels): the reply should be kept,
  i.e. played to its end (paused and resumed, or never paused); target >= 90 %;
- a **real interruption** ("wait, stop", "no, I meant Dallas", ...): the reply should be dropped,
  and the time from the caller's speech onset (the start of the 20 ms frame holding the first
  sound above -40 dBFS) to the first silent frame the playout sends is measured; target <= 150 ms.

The agent's voice does not leak into the caller's audio (a browser cancels its echo). Writes
bench/results/false_interruptions.json and a section of docs/performance.md. Runtime: ~4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.eot_speech import VOICES, espeak
from bench.report import replace_section, write_json
from bus.logging import configure_logging
from gateway.media.outbound import PlayoutTrack
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, IN_RATE, OUT_RATE, Pcm
from gateway.providers.stt import SpeechToText
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.responder import Speech
from gateway.turn_loop import TurnLoop
from gateway.turn_sources import LocalTurns
from gateway.turns import TurnSettings, detector_for
from tests.turn_fakes import LinesResponder, RecordedEvents, ScriptedLink

BACKCHANNELS = ["Uh-huh.", "Mm-hmm.", "Okay.", "Yeah.", "Right.", "I see.", "Oh, okay."]
REAL = ["Wait, stop.", "No, I meant Dallas.", "Hold on a second.", "Sorry, how much is it?",
        "Can you repeat that?", "Actually, what about the one in Round Rock?"]  # fmt: skip
# sox synth arguments (-R: the same every run): coughs, a knock, a breath, bursts of noise.
NOISES = {
    "cough": "synth 0.18 pinknoise band 700 600 fade q 0.005 0.18 0.12 : synth 0.1 pinknoise vol 0 : "
    "synth 0.15 pinknoise band 600 500 fade q 0.005 0.15 0.1",
    "cough-short": "synth 0.15 brownnoise band 500 400 fade q 0.005 0.15 0.1",
    "knock": "synth 0.03 whitenoise band 300 200 fade q 0.001 0.03 0.025 : synth 0.12 whitenoise vol 0 : "
    "synth 0.03 whitenoise band 300 200 fade q 0.001 0.03 0.025",
    "breath": "synth 0.5 whitenoise highpass 1500 fade q 0.15 0.5 0.25",
    "pink-250ms": "synth 0.25 pinknoise fade q 0.01 0.25 0.05",
    "white-150ms": "synth 0.15 whitenoise fade q 0.005 0.15 0.03",
    "brown-400ms": "synth 0.4 brownnoise fade q 0.02 0.4 0.1",
    # voiced: a throat-clear and a hum have a pitch, as speech has
    "throat-clear": "synth 0.35 sawtooth 140 lowpass 1200 tremolo 12 80 fade q 0.02 0.35 0.1",
    "hum": "synth 0.5 square 120 lowpass 900 fade q 0.05 0.5 0.15",
}
NOISE_LEVELS_DBFS = (-20.0, -30.0)
LEAD = 0.6  # seconds of the reply before the caller's sound
REPLY_SECONDS = 3.0
TAIL = 2.5  # the caller's silence after the sound
ONSET_DBFS = -40.0
STOP_TARGET_MS = 150.0
KEEP_TARGET = 0.90


@dataclass(frozen=True)
class Stimulus:
    kind: str  # backchannel | noise | real
    name: str
    voice: str
    audio: Pcm  # 16 kHz, the sound alone


@dataclass
class Trial:
    kind: str
    name: str
    voice: str
    sound_ms: float
    paused: bool
    dropped: bool
    completed: bool  # the reply played to its end
    heard: str  # the STT's text for the sound, when it was judged
    onset_to_stop_ms: float | None  # caller's onset -> first silent frame sent (paused trials)
    paused_ms: float | None  # how long a resumed reply stayed paused (from the onset)
    silent_ms: float  # silence inside the reply as sent: what the sound cost (hushes included)


def _trim(pcm: Pcm) -> Pcm:
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
    return pcm[loud[0] : loud[-1] + 1] if len(loud) else pcm


def _sox(args: str, level_dbfs: float, path: Path) -> Pcm:
    cmd = ["sox", "-R", "-n", "-r", str(IN_RATE), "-b", "16", "-c", "1", str(path), *args.split()]
    subprocess.run(cmd, check=True, timeout=30)
    with wave.open(str(path)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    peak = float(np.abs(pcm).max()) or 1.0
    return (pcm / peak * 32767 * 10 ** (level_dbfs / 20)).astype(np.int16)  # its peak at the level


def stimuli(voices: int) -> list[Stimulus]:
    out: list[Stimulus] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for voice in VOICES[:voices]:
            say = espeak(*voice, tmp)
            out += [Stimulus("backchannel", t, voice[0], _trim(say(t))) for t in BACKCHANNELS]
            out += [Stimulus("real", t, voice[0], _trim(say(t))) for t in REAL]
        for name, args in NOISES.items():
            for level in NOISE_LEVELS_DBFS:
                out.append(Stimulus("noise", f"{name} {level:.0f} dBFS", "sox", _sox(args, level, tmp / "n.wav")))
    return out


def onset_frame(audio: Pcm) -> int:
    """The 20 ms frame holding the first 5 ms above ONSET_DBFS."""
    hop = IN_RATE // 200
    threshold = 32768 * 10 ** (ONSET_DBFS / 20)
    for start in range(0, len(audio) - hop, hop):
        if np.sqrt(np.mean(audio[start : start + hop].astype(np.float64) ** 2)) > threshold:
            return start // IN_FRAME
    return 0


async def trial(s: Stimulus, stt: SpeechToText, settings: TurnSettings) -> Trial:
    lead = int(LEAD / FRAME_SECONDS)
    pcm = np.concatenate((np.zeros(lead * IN_FRAME, np.int16), s.audio, np.zeros(int(TAIL * IN_RATE), np.int16)))
    pcm = np.concatenate((pcm, np.zeros(-len(pcm) % IN_FRAME, np.int16)))
    script = [pcm[i : i + IN_FRAME] for i in range(0, len(pcm), IN_FRAME)]
    playout, events, session = PlayoutTrack(), RecordedEvents(), stt.open()
    source = LocalTurns(detector_for(settings), session, opus=False, quiet_gap=settings.first_pause_ms / 1000)
    loop = TurnLoop(source, playout, LinesResponder("A reply to the interruption."), events, session=session,
                    stt_name=stt.name, interruptions=settings.interruptions)  # fmt: skip
    sent: list[tuple[float, bool]] = []  # each frame the playout sent: when, and whether it was voiced

    async def send() -> None:
        while True:
            before = playout.last_voice_at
            await playout.recv()
            sent.append((time.monotonic(), playout.last_voice_at != before))

    tone = np.sin(2 * np.pi * 180 * np.arange(int(OUT_RATE * REPLY_SECONDS)) / OUT_RATE) * 6000
    loop.greet(Speech(text="The agent's reply, long enough to talk over.", audio=tone.astype(np.int16)))
    link = ScriptedLink(script, pace=FRAME_SECONDS)
    tasks = [asyncio.create_task(send()), asyncio.create_task(loop.run(link))]
    try:
        await asyncio.wait_for(link.finished.wait(), len(script) * FRAME_SECONDS + 10)
        # then the reply played to its end, or dropped
        await events.until(lambda: "barge_in" in events.kinds() or bool(events.of("agent.done")), REPLY_SECONDS + 10)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, *loop.cancel(), return_exceptions=True)
        loop.release()
    onset_at = link.frame_times[lead + onset_frame(s.audio)] - FRAME_SECONDS
    stop = next((t for t, voiced in sent if t > onset_at and not voiced), None)
    voiced = [i for i, (_, v) in enumerate(sent) if v]
    silent_ms = sum(not v for _, v in sent[voiced[0] : voiced[-1]]) * FRAME_SECONDS * 1000 if voiced else 0.0
    paused = bool(events.of("agent.paused"))
    resumed = events.of("agent.resumed")
    judged = [e["text"] for e in events.of("transcript.final")] + [e["heard"] for e in resumed]
    return Trial(
        kind=s.kind, name=s.name, voice=s.voice, sound_ms=round(len(s.audio) / IN_RATE * 1000),
        paused=paused, dropped="barge_in" in events.kinds(),
        completed=any(e["turn"] == 0 for e in events.of("agent.done")),
        heard=judged[0] if judged else "",
        onset_to_stop_ms=round((stop - onset_at) * 1000, 1) if paused and stop is not None else None,
        paused_ms=round(resumed[0]["paused_seconds"] * 1000) if resumed else None, silent_ms=round(silent_ms),
    )  # fmt: skip


def _pct(values: list[float], q: int) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) > 1 else values[0]


def summary(trials: list[Trial]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("backchannel", "noise"):
        ts = [t for t in trials if t.kind == kind]
        paused_ms = [float(t.paused_ms) for t in ts if t.paused_ms is not None]
        kept = [t for t in ts if t.completed and not t.dropped]
        out[kind] = {
            "trials": len(ts),
            "kept_rate": round(sum(t.completed and not t.dropped for t in ts) / len(ts), 3),
            "paused_and_resumed": sum(t.paused and not t.dropped for t in ts),
            "never_paused": sum(not t.paused for t in ts),
            "dropped": sum(t.dropped for t in ts),
            "pause_p50_ms": _pct(paused_ms, 50) if paused_ms else None,
            "pause_p95_ms": _pct(paused_ms, 95) if paused_ms else None,
            "kept_silent_p50_ms": _pct([t.silent_ms for t in kept], 50) if kept else None,
            "kept_silent_max_ms": max(t.silent_ms for t in kept) if kept else None,
        }
    either = [t for t in trials if t.kind != "real"]
    out["backchannel_or_noise_kept_rate"] = round(sum(t.completed and not t.dropped for t in either) / len(either), 3)
    real = [t for t in trials if t.kind == "real"]
    stops = [t.onset_to_stop_ms for t in real if t.onset_to_stop_ms is not None]
    out["real"] = {
        "trials": len(real),
        "dropped_rate": round(sum(t.dropped for t in real) / len(real), 3),
        "stop_p50_ms": _pct(stops, 50),
        "stop_p95_ms": _pct(stops, 95),
        "stop_max_ms": max(stops),
        "stopped_within_target": round(sum(s <= STOP_TARGET_MS for s in stops) / len(real), 3),
    }
    return out


def table(s: dict[str, Any]) -> str:
    b, n, r = s["backchannel"], s["noise"], s["real"]

    def kept(x: dict[str, Any]) -> str:
        pause = f"{x['pause_p50_ms']:.0f} / {x['pause_p95_ms']:.0f}" if x["pause_p50_ms"] is not None else "–"
        silent = f"{x['kept_silent_p50_ms']:.0f} / {x['kept_silent_max_ms']:.0f}"
        return (f"{x['trials']} | **{x['kept_rate'] * 100:.0f} %** | {x['paused_and_resumed']} | {x['never_paused']} "
                f"| {x['dropped']} | {pause} | {silent}")  # fmt: skip

    return "\n".join([
        "| caller's sound during the reply | trials | reply kept (target ≥ 90 %) | paused, resumed | never paused "
        "| dropped | pause p50 / p95 ms | silence in kept replies p50 / max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| backchannel | {kept(b)} |",
        f"| noise burst | {kept(n)} |",
        f"| **both** | {b['trials'] + n['trials']} | **{s['backchannel_or_noise_kept_rate'] * 100:.0f} %** "
        "| | | | | |",
        "",
        "| real interruption | trials | reply dropped | onset → silence p50 ms | p95 ms | max ms | ≤ 150 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| | {r['trials']} | {r['dropped_rate'] * 100:.0f} % | {r['stop_p50_ms']:.0f} | {r['stop_p95_ms']:.0f} "
        f"| {r['stop_max_ms']:.0f} | {r['stopped_within_target'] * 100:.0f} % |",
    ])  # fmt: skip


async def run(voices: int) -> list[Trial]:
    stt = WhisperBySlot()
    await asyncio.to_thread(stt.warm_up)
    await stt.transcribe(np.zeros(IN_RATE, dtype=np.int16))  # first inferences are slower: not a trial's
    settings = TurnSettings.from_env()
    trials = []
    for n, s in enumerate(stimuli(voices), 1):
        t = await trial(s, stt, settings)
        kept = t.completed and not t.dropped
        print(f"{n:3d} {t.kind:11s} {t.name[:28]:28s} {t.voice[:18]:18s} paused={t.paused!s:5s} kept={kept!s:5s} "
              f"stop_ms={t.onset_to_stop_ms} heard={t.heard!r}", flush=True)  # fmt: skip
        trials.append(t)
    stt.close()
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", type=int, default=4, help=f"caller voices (1-{len(VOICES)})")
    voices = parser.parse_args().voices
    configure_logging("bench", level="warning")
    trials = asyncio.run(run(voices))
    s = summary(trials)
    path = write_json("false_interruptions", {"benchmark": "false_interruptions", "summary": s,
                                              "trials": [asdict(t) for t in trials]})  # fmt: skip
    md = table(s)
    replace_section("false_interruptions", md)
    print(md)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
