"""Phone numbers before and after rescoring a phone turn's hearings (gateway/providers/stt/phone_rescore.py).

    PYTHONPATH=$PWD python -m bench.phone_rescore --set tuning --phones 15     # choose on this
    PYTHONPATH=$PWD python -m bench.phone_rescore --set held-out --phones 12   # report once, at the end

Each phone-number turn of bench/stt/corpus.py (espeak-ng voices, half through a telephone band) is
heard as the offline default hears it (gateway/providers/stt/whisper_by_slot.py: base, then tiny.en),
once without rescoring; then the same hearings are put in order by base's and tiny.en's forced
scores. A number counts only when the dialog's rule (the first hearing that holds exactly ten digits,
bench/stt/scoring.py `phone_taken`) gives exactly its digits. Noise-only turns go through the whole
phone path with rescoring and must come back without digits. CPU seconds are this process's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from bench.report import RESULTS, replace_section, write_json
from bench.stt.corpus import HELD_OUT, TUNING, synthesize, utterances
from bench.stt.scoring import phone_digits, phone_taken
from bench.stt_candidates import SEED, noise_turns
from gateway.providers.stt.phone_rescore import best_first
from gateway.providers.stt.whisper_by_slot import PHONE, WhisperBySlot, forced_scorers

SETS = {"tuning": TUNING, "held-out": HELD_OUT}
NOISE_CLIPS = 6


def measure(which: str, phones: int) -> dict[str, Any]:
    plain = WhisperBySlot(phone_scorers=())
    rescoring = WhisperBySlot(phone_scorers=forced_scorers())
    plain.warm_up()
    rows = []
    for n, voice in enumerate(SETS[which]):
        for k, u in enumerate(utterances(voice, phones=phones, others=0, seed=SEED)):
            audio = synthesize(voice, u.said, seed=SEED * 1000 + n * 100 + k)  # as bench/stt_candidates.py
            cpu = time.process_time()
            heard = plain.transcribe_now(audio, PHONE)
            cpu = time.process_time() - cpu
            hearings = [heard.text, *heard.alternatives]
            extra = time.process_time()
            ordered = best_first(audio, hearings, rescoring.phone_scorers)
            extra = time.process_time() - extra
            rows.append({"voice": voice.name, "id": u.id, "said": u.said, "digits": u.digits, "hearings": hearings,
                         "rescored": ordered[0] if ordered else "", "cpu_hearing": round(cpu, 3),
                         "cpu_rescore": round(extra, 3), "top": phone_digits(heard.text) == u.digits,
                         "before": phone_taken(hearings) == u.digits,
                         "after": phone_taken(ordered) == u.digits})  # fmt: skip
            print(f"  {u.id}: before {rows[-1]['before']} after {rows[-1]['after']} +{extra:.2f} CPU-s "
                  f"{ordered[0] if ordered else ''!r}", file=sys.stderr, flush=True)  # fmt: skip
    noise = []
    for audio in noise_turns(NOISE_CLIPS):
        heard = rescoring.transcribe_now(audio, PHONE)
        noise.append([heard.text, *heard.alternatives])
    plain.close()
    rescoring.close()
    return {"set": which, "voices": [v.name for v in SETS[which]], "rows": rows, "noise": noise}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    scored = [r["cpu_rescore"] for r in rows if r["cpu_rescore"] > 0.01]
    return {
        "set": result["set"],
        "phones": len(rows),
        "top_hearing": sum(r["top"] for r in rows),
        "before": sum(r["before"] for r in rows),
        "after": sum(r["after"] for r in rows),
        "gained": [r["id"] for r in rows if r["after"] and not r["before"]],
        "lost": [r["id"] for r in rows if r["before"] and not r["after"]],
        "turns_rescored": len(scored),
        "cpu_hearing_p50": round(statistics.median(r["cpu_hearing"] for r in rows), 3),
        "cpu_rescore_p50_when_rescored": round(statistics.median(scored), 3) if scored else 0.0,
        "cpu_rescore_max": round(max(scored, default=0.0), 3),
        "noise_turns_with_digits": sum(any(c.isdigit() for h in hs for c in h) for hs in result["noise"]),
        "noise_turns": len(result["noise"]),
    }


def row(s: dict[str, Any]) -> str:
    n = s["phones"]
    return (f"| {s['set']} | {n} | {s['top_hearing'] / n:.1%} | {s['before'] / n:.1%} | {s['after'] / n:.1%} "
            f"| +{len(s['gained'])} / -{len(s['lost'])} | {s['turns_rescored']} of {n} | "
            f"{s['cpu_rescore_p50_when_rescored']} / {s['cpu_rescore_max']} | {s['cpu_hearing_p50']} | "
            f"{s['noise_turns_with_digits']}/{s['noise_turns']} |")  # fmt: skip


def table(summaries: list[dict[str, Any]]) -> str:
    head = ("| voices | numbers | top hearing | before: first whole number | after rescoring | gained / lost "
            "| turns rescored | rescoring CPU-s p50 / max | hearing CPU-s p50 | noise turns with digits |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")  # fmt: skip
    return "\n".join([head, *(row(s) for s in summaries)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=list(SETS), required=True)
    parser.add_argument("--phones", type=int, default=12, help="phone numbers per voice")
    args = parser.parse_args()
    result = measure(args.set, args.phones)
    s = summary(result)
    print(s)
    path = RESULTS / "phone_rescore.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved.pop("machine", None)
    saved[args.set] = {"summary": s, **result}
    write_json("phone_rescore", saved)
    replace_section("phone_rescore", table([saved[k]["summary"] for k in SETS if k in saved]))


if __name__ == "__main__":
    main()
