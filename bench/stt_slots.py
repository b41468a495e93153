"""Does the STT hear the answer to the question asked? Per slot, scored by the dialog's parser.

    PYTHONPATH=$PWD python -m bench.stt_slots --set tuning      # choose on these (~10 min on 2 cores)
    PYTHONPATH=$PWD python -m bench.stt_slots --set held-out    # report these, once
    PYTHONPATH=$PWD python -m bench.stt_slots --rescore         # the ways again from the saved hearings
    PYTHONPATH=$PWD python -m bench.stt_slots --smoke           # 2 lines, nothing written

Callers answer "which day and time?", "which city?", "bedrooms, type?", "which one?" and yes/no
questions in everyday phrasing (bench/stt/slot_corpus.py), in espeak-ng voices: the tuning set holds
the audio-persona voices whose calls fail. A line counts as heard when the dialog's parser
(gateway/agent/turn_parser.py, with the question's slot expected) gets from what the dialog takes
the same value as from the line as written; "wrong" when it gets another value (a turn lost to a
read-back), "missed" when none (a turn lost to a re-ask).

Each line is decoded once each way, and the hearings are saved: tiny.en as the gateway decodes it
today (greedy, the slot's context), tiny.en's 5 beams, tiny.en's 5 beams with the slot's words as a
prompt, and base's 5 beams. The WAYS combine them: the first hearing, then (only when the first does
not answer the question, and heard someone) the others as runners-up, which the dialog takes as
gateway/agent/hearings.py does. A way's CPU is what it would pay: the first decode always, the others
only where the first did not answer. Noise-only turns (nobody speaking) must not answer anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bench.report import RESULTS, replace_section, write_json
from bench.stt.corpus import Voice, cities, synthesize
from bench.stt.slot_corpus import HELD_OUT_VOICES, TUNING, SlotLine, lines, matches
from gateway.agent.contact import EMAIL, NAME, PHONE
from gateway.agent.frame import Frame, Said, Slot
from gateway.agent.hearings import answering_turn, checker, question
from gateway.agent.numbers import normalise
from gateway.agent.slots_common import CHOICE, TIME
from gateway.agent.turn_parser import Turn, parse_turn
from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt.context import SLOTS, SpeechContext
from gateway.providers.stt.second_hearing import SLOT_WORDS as RUNTIME_WORDS
from gateway.providers.stt.second_hearing import plausible
from gateway.providers.stt.whisper_local import WhisperLocal, _model
from gateway.providers.stt.whisper_models import BASE, TINY_EN
from gateway.providers.stt.whisper_nbest import n_best
from gateway.providers.stt.whisper_prompt import prompt
from verticals.real_estate.slots import CRITERIA_WORDS, streets_read_out
from verticals.real_estate.slots import slots as real_estate_slots

SEED = 29
BEAMS = 5
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo("America/Chicago"))  # a Monday morning
QUESTIONS = ("time", "city", "criteria", "listing", "yes_no")
FLOW = real_estate_slots(cities())
FLOW_NAMES = [s.name for s in FLOW]
CRITERIA = [n for n in FLOW_NAMES if n != "listing"]
ALL_SLOTS: list[Slot] = [*FLOW, TIME, CHOICE, NAME, PHONE, EMAIL]
# Slot words as a prompt, for the "tiny.en beams + slot words" hearing: the time's from the STT, the
# criteria's and the listing's (the streets read out) from the vertical's slot hints, as the gateway
# gives them. No yes/no prompt: a "yes" copied out of noise would confirm.
SLOT_WORDS = {**RUNTIME_WORDS, "criteria": CRITERIA_WORDS}
DECODES = ("tiny", "tiny_beams", "tiny_words", "base_beams")
HELD_OUT_DECODES = ("tiny", "tiny_words", "base_beams")  # its beams alone lost on the tuning set: not measured
DEFAULT = "tiny.en + beams with the words of time, criteria and listing + base's beams: the default"
TIME_ONLY = "tiny.en + beams with the time's words (time only) + base's beams (the default until 2026-12-07)"
# The ways: the first hearing, then the runners-up from these decodes (when the first did not answer).
WAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tiny.en (today)": ("tiny", ()),
    "base top": ("base_top", ()),
    "tiny.en + its beams": ("tiny", ("tiny_beams",)),
    "tiny.en + beams with slot words": ("tiny", ("tiny_words",)),
    "tiny.en + base's beams": ("tiny", ("base_beams",)),
    "tiny.en + its beams + base's beams": ("tiny", ("tiny_beams", "base_beams")),
    "tiny.en + beams with slot words + base's beams": ("tiny", ("tiny_words", "base_beams")),
    "tiny.en + all three": ("tiny", ("tiny_beams", "tiny_words", "base_beams")),
    TIME_ONLY: ("tiny", ("tiny_words:time", "base_beams")),
    # gateway/providers/stt/whisper_by_slot.py: the slot's words only where the STT or the vertical has them.
    DEFAULT: ("tiny", ("tiny_words:time", "tiny_words:criteria", "tiny_words:listing", "base_beams")),
}


def context(slot: str) -> SpeechContext:
    """What the gateway gives the STT today when the dialog asked `slot` (responder.listening_for)."""
    if slot not in SLOTS:
        return SpeechContext()
    return SpeechContext(slot, tuple(cities()) if slot == "city" else ())


def words_prompt(slot: str, held_out: bool) -> str | None:
    if slot == "listing":
        return streets_read_out(Frame({"matches": matches(held_out)}))
    return SLOT_WORDS.get(slot) or prompt(context(slot))


def said(text: str, slot: str, held_out: bool, alternatives: Sequence[str] = ()) -> Said:
    frame = Frame({"matches": matches(held_out), "last_list": "listings"} if slot == "listing" else {})
    return Said(raw=text.strip(), text=normalise(text.strip()), now=NOW, tz=NOW.tzinfo, frame=frame,  # type: ignore[arg-type]
                expecting=slot, alternatives=tuple(alternatives))  # fmt: skip


def answer(turn: Turn, slot: str) -> Any:
    """The turn's answer to the question `slot`, comparable across hearings; None: no answer."""
    v = turn.values
    if slot == "time":
        t = v.get("time")
        return None if t is None else f"{t.start.isoformat()}..{t.end.isoformat() if t.end else ''}"
    if slot == "city":
        return v.get("city")
    if slot == "criteria":
        got = {n: repr(v[n]) for n in CRITERIA if v.get(n) is not None}
        return json.dumps(got, sort_keys=True) if got else None
    if slot == "listing":
        pick = v.get("listing") or v.get("choice")
        return None if pick is None else (pick if pick > 0 else len(matches(False)))
    if turn.no:
        return "no"
    return "yes" if turn.yes else None


def expected(line: SlotLine, held_out: bool) -> Any:
    value = answer(parse_turn(said(line.said, line.slot, held_out), ALL_SLOTS), line.slot)
    if value is None:
        raise ValueError(f"the parser reads no {line.slot} from the written line {line.said!r}")
    return value


def taken(hearings: Sequence[str], slot: str, held_out: bool) -> Any:
    """What the dialog takes from these hearings (the first is the top one)."""
    if not hearings:
        return None
    asked = question(slot, FLOW_NAMES, picking=slot == "listing")
    return answer(answering_turn(said(hearings[0], slot, held_out, hearings[1:]), ALL_SLOTS, asked), slot)


def unanswered(text: str, slot: str, held_out: bool) -> bool:
    """What the STT's check says of a first hearing (SpeechContext.answers): heard again when True."""
    asked = question(slot, FLOW_NAMES, picking=slot == "listing")
    check = checker(said("", slot, held_out), ALL_SLOTS, asked)
    return bool(text.strip()) and check is not None and not check(text)


def decode(
    models: dict[str, Any], tiny: WhisperLocal, audio: Pcm, slot: str, held_out: bool, decodes: Sequence[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in decodes:
        cpu = time.process_time()
        if name == "tiny":
            hearings = [tiny.transcribe_now(audio, context(slot)).text]
        else:
            model = models["base" if name == "base_beams" else "tiny"]
            text = words_prompt(slot, held_out) if name == "tiny_words" else prompt(context(slot))
            hearings, _ = n_best(model, audio, text, BEAMS)
        out[name] = {"hearings": hearings, "cpu": round(time.process_time() - cpu, 3)}
    out["base_top"] = {"hearings": out["base_beams"]["hearings"][:1], "cpu": out["base_beams"]["cpu"]}
    return out


def noise_turns(count: int) -> list[Pcm]:
    rng = np.random.default_rng(SEED)
    return [(rng.normal(0, level, int(1.5 * IN_RATE))).astype(np.int16) for level in np.linspace(30, 600, count)]


def measure(voices: Sequence[Voice], held_out: bool, limit: int | None = None) -> dict[str, Any]:
    decodes = HELD_OUT_DECODES if held_out else DECODES
    tiny = WhisperLocal(TINY_EN, threads=2)
    models = {"tiny": _model(TINY_EN, 2), "base": _model(BASE, 2)}
    todo = lines(held_out)[:limit]
    rows, noise = [], []
    for n, voice in enumerate(voices):
        for k, line in enumerate(todo):
            audio = synthesize(voice, line.said, seed=SEED * 1000 + n * 100 + k)
            heard = decode(models, tiny, audio, line.slot, held_out, decodes)
            rows.append({"voice": voice.name, "slot": line.slot, "said": line.said, "decodes": heard,
                         "audio": round(len(audio) / IN_RATE, 2)})  # fmt: skip
            print(f"  {voice.name} {line.slot}: {line.said!r} -> {heard['tiny']['hearings']} "
                  f"| base {heard['base_beams']['hearings'][:2]}", file=sys.stderr, flush=True)  # fmt: skip
    for audio in noise_turns(3 if limit is None else 1):
        for slot in QUESTIONS:
            noise.append({"slot": slot, "decodes": decode(models, tiny, audio, slot, held_out, decodes)})
    return {"rows": rows, "noise": noise}


def more_hearings(decodes: dict[str, Any], names: Sequence[str], slot: str, audio: float) -> tuple[list[str], float]:
    """The second hearings of a turn (and their CPU), as second_hearing.py keeps them: decodes named
    "name:slot" count only for that slot; a decode that ran away is no hearing."""
    hearings: list[str] = []
    cpu = 0.0
    for entry in names:
        name, _, only = entry.partition(":")
        if only and only != slot:
            continue
        hearings += [h for h in decodes[name]["hearings"] if plausible(h, audio)]
        cpu += decodes[name]["cpu"]
    return hearings, cpu


def scored(data: dict[str, Any], held_out: bool) -> list[dict[str, Any]]:
    want = {line.said: expected(line, held_out) for line in lines(held_out)}
    out = []
    measured = set(data["rows"][0]["decodes"]) if data["rows"] else set()
    for way, (first, more) in WAYS.items():
        if not {first, *(m.partition(":")[0] for m in more)} <= measured:
            continue
        per_slot: dict[str, dict[str, int]] = {s: {"right": 0, "wrong": 0, "missed": 0} for s in QUESTIONS}
        cpus, second = [], 0
        for row in data["rows"]:
            slot, d = row["slot"], row["decodes"]
            top = d[first]["hearings"]
            hearings, cpu = list(top[:1]), d[first]["cpu"]
            if more and top and unanswered(top[0], slot, held_out):
                second += 1
                extra, extra_cpu = more_hearings(d, more, slot, row["audio"])
                hearings, cpu = hearings + extra, cpu + extra_cpu
            got = taken(hearings, slot, held_out)
            per_slot[slot]["right" if got == want[row["said"]] else "missed" if got is None else "wrong"] += 1
            cpus.append(cpu)
        on_noise = []
        for turn in data["noise"]:
            slot, d = turn["slot"], turn["decodes"]
            top = d[first]["hearings"]
            hearings = list(top[:1])
            if more and top and unanswered(top[0], slot, held_out):
                hearings += more_hearings(d, more, slot, 1.5)[0]
            if (got := taken(hearings, slot, held_out)) is not None:
                on_noise.append(f"{slot}: {got}")
        n = len(data["rows"])
        right = sum(s["right"] for s in per_slot.values())
        out.append({"way": way, "lines": n, "right": right, "right_share": round(right / max(1, n), 3),
                    "wrong": sum(s["wrong"] for s in per_slot.values()), "per_slot": per_slot,
                    "second_hearings": second, "cpu_per_line": round(sum(cpus) / max(1, n), 3),
                    "noise_turns": len(data["noise"]), "answered_noise": on_noise})  # fmt: skip
    return out


def table(summaries: list[dict[str, Any]]) -> str:
    head = " | ".join(f"{s}" for s in QUESTIONS)
    lines_ = [f"| way | all right (wrong) | {head} | second hearings | CPU s per line | noise answered |",
              "| --- | --- | " + "--- | " * len(QUESTIONS) + "--- | --- | --- |"]  # fmt: skip
    for s in summaries:
        cells = " | ".join(
            f"{p['right']}/{sum(p.values())}" + (f" ({p['wrong']})" if p["wrong"] else "")
            for p in (s["per_slot"][q] for q in QUESTIONS)
        )
        lines_.append(f"| {s['way']} | {s['right_share']:.0%} ({s['wrong']}) | {cells} | {s['second_hearings']} | "
                      f"{s['cpu_per_line']} | {len(s['answered_noise'])}/{s['noise_turns']} |")  # fmt: skip
    return "\n".join(lines_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["tuning", "held-out"])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rescore", action="store_true")
    args = parser.parse_args()
    path = RESULTS / "stt_slots.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    if args.smoke:
        data = measure(TUNING[:1], held_out=False, limit=2)
        print(json.dumps([{k: s[k] for k in ("way", "right", "lines")} for s in scored(data, False)]))
        return
    if args.set:
        held_out = args.set == "held-out"
        started = time.perf_counter()
        voices = HELD_OUT_VOICES if held_out else TUNING
        saved[args.set] = {"voices": [v.name for v in voices], **measure(voices, held_out)}
        print(f"{args.set}: measured in {time.perf_counter() - started:.0f} s wall", file=sys.stderr)
    for name in ("tuning", "held-out"):
        if name in saved:
            saved[name]["summary"] = scored(saved[name], name == "held-out")
            print(name)
            print(table(saved[name]["summary"]))
    saved.pop("machine", None)
    write_json("stt_slots", saved)
    if "held-out" in saved:
        replace_section("stt_slots", table(saved["held-out"]["summary"]))


if __name__ == "__main__":
    main()
