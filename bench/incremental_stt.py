"""Incremental whisper against whole-turn whisper: how soon the final text is ready, and what it says.

    PYTHONPATH=$PWD python -m bench.incremental_stt                 # held-out voices, ~8 min on 2 cores
    PYTHONPATH=$PWD python -m bench.incremental_stt --calls 3       # three callers at once on one STT
    PYTHONPATH=$PWD python -m bench.incremental_stt --smoke         # 2 utterances, nothing written

Caller utterances (bench/stt/corpus.py: espeak-ng voices held out from every tuning, half of them
through a telephone line) are played in real time, 20 ms at a time, through what a call runs: our
Silero VAD, the TurnDetector (VAD-only endpointing, 600 ms, unless --endpointing model), and the
gateway's default STT (whisper by slot: base for phone numbers, tiny.en for the rest, the expected
slot as context), opened per-turn or incremental. Every utterance is played once each way, the two
runs one after the other, so both meet the same load on the machine.

Figures per way: the final text's delay after the turn ended and after the caller's last sound
(the VAD's wait included), p50/p95; word error rate against what was said (bench/stt/scoring.py),
phone numbers exactly right; how often the incremental final text differs from the whole-turn one;
decodes per turn and this process's CPU seconds per utterance (VAD included, the same both ways).
Writes bench/results/incremental_stt[_callsN].json and a section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.report import replace_section, write_json
from bench.stt.corpus import HELD_OUT, Utterance, Voice, cities, synthesize, utterances
from bench.stt.scoring import canonical, edit_distance, phone_digits
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, IN_RATE, Pcm
from gateway.media.vad import VadStream
from gateway.providers.stt import SttSession
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.incremental import IncrementalSession, IncrementalSettings
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.turns import SpeechStarted, TurnEnded, TurnSettings, detector_for

SEED = 17
LEAD_S = 0.6  # quiet line before the caller speaks
TAIL_S = 1.6  # quiet after: the endpointing ends the turn within it
WAYS = ("whole", "incremental")


@dataclass
class Played:
    """One utterance played once to one session."""

    text: str = ""
    turns: int = 0
    after_turn: float | None = None  # the last turn's end -> its final text, seconds
    after_speech: float | None = None  # the caller's last sound -> the final text
    interims: int = 0
    decodes: int = 0
    reused: int = 0
    audios: list[Pcm] = field(default_factory=list)  # each turn's audio, as the endpointing ended it


@dataclass
class Caller:
    """One call's listening side: a session, our VAD and endpointing, as gateway/call.py runs them."""

    session: SttSession
    endpointing: str
    interims: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vad = VadStream()
        self.detector = detector_for(TurnSettings(end_of_turn=self.endpointing))

    async def play(self, audio: Pcm, context: SpeechContext) -> Played:
        loop = asyncio.get_running_loop()
        frames = [audio[i : i + IN_FRAME] for i in range(0, len(audio) - IN_FRAME + 1, IN_FRAME)]
        spoken_until = _last_sound(frames)
        played, finals = Played(), []
        before = _counts(self.session)
        self.interims.clear()
        start = loop.time()
        for i, frame in enumerate(frames):
            # Pacing, not waiting for state: the caller's audio arrives in real time.
            await asyncio.sleep(max(0.0, start + i * FRAME_SECONDS - loop.time()))
            self.session.feed(frame)
            speech = self.vad.push(frame)
            event = self.detector.feed(frame, speech, agent_speaking=False)
            if isinstance(event, SpeechStarted):
                self.session.expect(context)
            self.session.feed_vad(speech, self.detector.turn_frames)
            if isinstance(event, TurnEnded):
                played.audios.append(event.audio)
                finals.append(asyncio.ensure_future(self._final(event.audio, context, loop.time())))
        results = await asyncio.gather(*finals)
        played.turns = len(results)
        played.text = " ".join(text for text, _, _ in results if text)
        if results:
            _, ended, ready = results[-1]
            played.after_turn = ready - ended
            played.after_speech = ready - (start + (spoken_until + 1) * FRAME_SECONDS)
        after = _counts(self.session)
        played.decodes, played.reused = after[0] - before[0], after[1] - before[1]
        played.interims = len(self.interims)
        return played

    async def _final(self, audio: Pcm, context: SpeechContext, ended: float) -> tuple[str, float, float]:
        self.session.expect(context)
        heard = await self.session.turn_ended(audio)
        return heard.text, ended, asyncio.get_running_loop().time()


def _counts(session: SttSession) -> tuple[int, int]:
    if isinstance(session, IncrementalSession):
        return session.decoded, session.reused
    return 0, 0


def _last_sound(frames: list[Pcm]) -> int:
    """The last frame within 26 dB of the loudest: where the caller stopped speaking."""
    rms = np.array([np.sqrt(np.mean(f.astype(np.float32) ** 2)) for f in frames])
    return int(np.nonzero(rms >= rms.max() * 0.05)[0][-1])


def context_for(u: Utterance) -> SpeechContext:
    return SpeechContext(slot=u.slot, phrases=tuple(cities()) if u.slot == "city" else ())


def corpus(voices: tuple[Voice, ...], phones: int, others: int) -> list[tuple[Voice, Utterance, Pcm]]:
    quiet_before, quiet_after = np.zeros(int(LEAD_S * IN_RATE), np.int16), np.zeros(int(TAIL_S * IN_RATE), np.int16)
    out = []
    for n, voice in enumerate(voices):
        for k, u in enumerate(utterances(voice, phones=phones, others=others, seed=SEED)):
            audio = synthesize(voice, u.said, seed=SEED * 1000 + n * 100 + k)
            out.append((voice, u, np.concatenate([quiet_before, audio, quiet_after])))
    return out


async def run(
    items: list[tuple[Voice, Utterance, Pcm]], calls: int, endpointing: str, settings: IncrementalSettings
) -> dict[str, Any]:
    stts = {way: WhisperBySlot(incremental=way == "incremental") for way in WAYS}
    for stt in stts.values():
        stt.warm_up()
        for slot in ("phone", None):  # each model's first decode allocates: not timed
            await stt.transcribe(items[0][2], SpeechContext(slot=slot))
    callers: dict[str, list[Caller]] = {}
    for way, stt in stts.items():
        callers[way] = []
        for _ in range(calls):
            interims: list[str] = []
            session = IncrementalSession(stt, interims.append, settings) if stt.incremental else stt.open()
            callers[way].append(Caller(session, endpointing, interims))
    rows: list[dict[str, Any]] = []
    cpu = dict.fromkeys(WAYS, 0.0)
    for first in range(0, len(items), calls):
        batch = items[first : first + calls]
        for way in WAYS:
            used = time.process_time()
            # The callers of a batch start 0.4 s apart, as calls do not start in step.
            played = await asyncio.gather(*(
                _later(0.4 * k, callers[way][k].play(audio, context_for(u))) for k, (_, u, audio) in enumerate(batch)
            ))  # fmt: skip
            cpu[way] += time.process_time() - used
            for (voice, u, audio), p in zip(batch, played, strict=True):
                rows.append(_row(way, voice, u, audio, p))
                if way == "whole":  # the same turns decoded again: how often whisper itself words them otherwise
                    again = [await stt.transcribe(turn, context_for(u)) for turn in p.audios]
                    rows[-1]["again"] = " ".join(t.text for t in again if t.text)
                    rows[-1]["again_errors"] = edit_distance(canonical(u.reference), canonical(rows[-1]["again"]))
                print(f"  {way:11} {u.id:28} {p.after_turn if p.after_turn is None else round(p.after_turn, 3)!s:>6} s "
                      f"after the turn: {p.text!r}", flush=True)  # fmt: skip
    for stt in stts.values():
        stt.close()
    return {"rows": rows, "cpu": cpu}


async def _later(delay: float, job: Coroutine[Any, Any, Played]) -> Played:
    await asyncio.sleep(delay)
    return await job


def _row(way: str, voice: Voice, u: Utterance, audio: Pcm, p: Played) -> dict[str, Any]:
    ref, hyp = canonical(u.reference), canonical(p.text)
    return {"way": way, "voice": voice.name, "id": u.id, "category": u.category, "said": u.said, "heard": p.text,
            "errors": edit_distance(ref, hyp), "words": len(ref), "turns": p.turns, "after_turn": p.after_turn,
            "after_speech": p.after_speech, "interims": p.interims, "decodes": p.decodes, "reused": p.reused,
            "phone_right": phone_digits(p.text) == u.digits if u.digits else None,
            "audio": len(audio) / IN_RATE}  # fmt: skip


def summary(rows: list[dict[str, Any]], way: str, cpu: float) -> dict[str, Any]:
    mine = [r for r in rows if r["way"] == way]
    whole = {r["id"]: r["heard"] for r in rows if r["way"] == "whole"}
    # Per utterance, errors against the whole-turn decode's (the whole-turn one: against its second decode).
    base = {r["id"]: r["errors"] for r in rows if r["way"] == "whole"}
    pairs = [(r["errors"], base[r["id"]]) if way != "whole" else (r["again_errors"], r["errors"]) for r in mine]
    fewer_same_more = [sum(a < b for a, b in pairs), sum(a == b for a, b in pairs), sum(a > b for a, b in pairs)]
    turn = [r["after_turn"] for r in mine if r["after_turn"] is not None]
    speech = [r["after_speech"] for r in mine if r["after_speech"] is not None]
    phones = [r for r in mine if r["phone_right"] is not None]
    turns = sum(r["turns"] for r in mine)
    return {
        "way": way,
        "utterances": len(mine),
        "turns": turns,
        "after_turn_p50": _q(turn, 50),
        "after_turn_p95": _q(turn, 95),
        "within_150ms": round(sum(t <= 0.150 for t in turn) / max(1, len(turn)), 3),
        "after_speech_p50": _q(speech, 50),
        "after_speech_p95": _q(speech, 95),
        "wer": round(sum(r["errors"] for r in mine) / max(1, sum(r["words"] for r in mine)), 4),
        "wer_second_decode": round(sum(r["again_errors"] for r in mine) / max(1, sum(r["words"] for r in mine)), 4)
        if way == "whole"
        else None,
        "errors_fewer_same_more": fewer_same_more,
        "phone_exact": f"{sum(r['phone_right'] for r in phones)}/{len(phones)}",
        "same_text_as_whole": round(sum(r["heard"] == whole[r["id"]] for r in mine) / max(1, len(mine)), 3)
        if way != "whole"
        else round(sum(r["heard"] == r.get("again") for r in mine) / max(1, len(mine)), 3),
        "decodes_per_turn": round(sum(r["decodes"] for r in mine) / max(1, turns), 2) if way != "whole" else 1.0,
        "reused": round(sum(r["reused"] for r in mine) / max(1, turns), 3),
        "interims_per_turn": round(sum(r["interims"] for r in mine) / max(1, turns), 2),
        "cpu_per_utterance": round(cpu / max(1, len(mine)), 3),
    }


def _q(values: list[float], q: int) -> float | None:
    if not values:
        return None
    return round(statistics.median(values) if q == 50 else float(np.percentile(values, q)), 3)


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| run | way | final text after the turn ended p50 / p95 | ≤ 150 ms | after the caller's last sound p50 / p95 "
        "| WER | utterances with fewer / as many / more word errors than whole-turn | phone numbers exact "
        "| same text as whole-turn | decodes per turn | CPU s per utterance |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for run_name, result in results.items():
        for s in result["summary"]:
            lines.append(f"| {run_name} | {s['way']} | {_ms(s['after_turn_p50'])} / {_ms(s['after_turn_p95'])} | "
                         f"{s['within_150ms']:.0%} | {_ms(s['after_speech_p50'])} / {_ms(s['after_speech_p95'])} | "
                         f"{_wer(s)} | {' / '.join(map(str, s['errors_fewer_same_more']))}{_self(s)} | "
                         f"{s['phone_exact']} | {s['same_text_as_whole']:.0%}{_self(s)} | "
                         f"{s['decodes_per_turn']} | {s['cpu_per_utterance']} |")  # fmt: skip
    return "\n".join(lines)


def _wer(s: dict[str, Any]) -> str:
    again = s.get("wer_second_decode")
    return f"{s['wer']:.1%}" + (f" (second decode: {again:.1%})" if again is not None else "")


def _self(s: dict[str, Any]) -> str:
    return " (second decode vs first)" if s["way"] == "whole" else ""


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2 utterances of one voice, nothing written")
    parser.add_argument("--phones", type=int, default=2, help="phone numbers per held-out voice")
    parser.add_argument("--others", type=int, default=7, help="other utterances per held-out voice")
    parser.add_argument("--calls", type=int, default=1, help="callers speaking at once on one STT")
    parser.add_argument("--endpointing", choices=["vad", "model"], default="vad")
    parser.add_argument("--every", type=float, default=IncrementalSettings.every_s,
                        help="seconds of new speech between interim decodes (0: at pauses only)")  # fmt: skip
    args = parser.parse_args()
    voices, phones, others = (HELD_OUT[:1], 1, 1) if args.smoke else (HELD_OUT, args.phones, args.others)
    started = time.perf_counter()
    items = corpus(voices, phones, others)
    print(f"{len(items)} utterances synthesised in {time.perf_counter() - started:.0f} s", flush=True)
    settings = IncrementalSettings(every_s=args.every or 3600.0)
    measured = asyncio.run(run(items, args.calls, args.endpointing, settings))
    out = {
        "seed": SEED,
        "calls": args.calls,
        "endpointing": args.endpointing,
        "every_s": args.every,
        "phones": phones,
        "others": others,
        "stt": "whisper by slot (tiny.en, base for phone numbers), 2 threads, one worker",
        "voices": [v.name for v in voices],
        "summary": [summary(measured["rows"], way, measured["cpu"][way]) for way in WAYS],
        "rows": measured["rows"],
    }
    for s in out["summary"]:
        print(json.dumps(s), flush=True)
    if args.smoke:
        return
    name = "incremental_stt" + (f"_calls{args.calls}" if args.calls > 1 else "")
    name += "_model" if args.endpointing == "model" else ""
    name += f"_every{args.every:g}" if args.every != IncrementalSettings.every_s else ""
    write_json(name, out)
    rescore()


def _score_again(data: dict[str, Any]) -> None:
    """Word errors of each whole turn's second decode, for runs saved before they were counted."""
    said = {u.id: u for v in HELD_OUT for u in utterances(v, phones=data.get("phones", 2),
                                                           others=data.get("others", 7), seed=SEED)}  # fmt: skip
    for row in data["rows"]:
        if row["way"] == "whole" and "again_errors" not in row:
            row["again_errors"] = edit_distance(canonical(said[row["id"]].reference), canonical(row["again"]))


def rescore() -> None:
    """The docs table from every saved run."""
    from bench.report import RESULTS

    runs = {}
    for path in sorted(RESULTS.glob("incremental_stt*.json")):
        data = json.loads(path.read_text())
        _score_again(data)
        cpu = {s["way"]: s["cpu_per_utterance"] * s["utterances"] for s in data["summary"]}
        data["summary"] = [summary(data["rows"], way, cpu[way]) for way in WAYS]
        path.write_text(json.dumps(data, indent=2) + "\n")
        every = data.get("every_s", IncrementalSettings.every_s)
        label = (f"{data['calls']} call{'s' if data['calls'] > 1 else ''}, {data['endpointing']} endpointing, "
                 f"{f'interims every {every:g} s' if every else 'decodes at pauses only'}")  # fmt: skip
        runs[label + (f" ({data['note']})" if data.get("note") else "")] = data
    replace_section("incremental_stt", table(runs))


if __name__ == "__main__":
    main()
