"""A phone number asked for in parts: how often one group (area code, exchange, last four) is heard exactly.

    PYTHONPATH=$PWD python -m bench.stt_groups     # held-out voices, the default STT (~3 min on 2 cores)

The dialog's fallback when a whole number was misheard is to ask in parts ("just the area code
first"). This measures that strategy's ground truth on the HELD_OUT voices of bench/stt/corpus.py
with the default offline STT and the phone context, the group said digit by digit (with "oh",
doubles and triples as in the full numbers). Writes bench/results/stt_groups.json.
"""

from __future__ import annotations

import random

from bench.report import write_json
from bench.stt.corpus import HELD_OUT, _group_words, _phone_digits, synthesize
from gateway.agent.spoken_numbers import digit_string
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.whisper_by_slot import WhisperBySlot

SEED = 29
PER_VOICE = 12


def main() -> None:
    stt = WhisperBySlot()
    stt.warm_up()
    rows: list[dict[str, object]] = []
    right = 0
    for n, voice in enumerate(HELD_OUT):
        rng = random.Random(f"{SEED}:{voice.name}")
        for k in range(PER_VOICE):
            digits = _phone_digits(rng)
            group = (digits[:3], digits[3:6], digits[6:])[k % 3]
            said = _group_words(group, rng, style=rng.choice(["plain", "oh", "repeat"])) + "."
            audio = synthesize(voice, said, seed=SEED * 1000 + n * 100 + k)
            context = SpeechContext(slot="phone")
            heard = stt.model_for(context).transcribe_now(audio, context).text
            ok = digit_string(heard) == group
            right += ok
            rows.append({"voice": voice.name, "said": said, "digits": group, "heard": heard, "right": ok})
            print(f"{voice.name} {said!r} -> {heard!r} {'ok' if ok else 'WRONG'}", flush=True)
    summary = {"stt": stt.name, "groups": len(rows), "exact": round(right / len(rows), 3)}
    print(summary)
    write_json("stt_groups", {"summary": summary, "rows": rows})
    stt.close()


if __name__ == "__main__":
    main()
