"""A phone-number turn's hearings put in order by how well each number they hold fits the audio.

Whisper's hearings of a phone turn (base's beams, then tiny.en's) often hold different ten-digit
numbers, and the dialog takes the first that holds one. That first is often wrong where a later one
is right: beam order is decided by the whole text's likelihood, written as the beam wrote it
("602, double five" against "six oh two, double five"), not by the digits. Here each distinct number
is written two ways, after the top hearing's words before the number ("my cell is"), and every model
scores every writing against the same audio (forced decoding, gateway/providers/stt/forced_score.py);
a writing's scores are summed over the models, and a number's score is its best writing's. The
hearing that holds the best number comes first; the rest keep their order as runners-up.

Nothing new is written: only numbers some hearing holds are ranked, so a turn with nobody speaking
cannot gain digits. Tried on the tuning voices and left out (docs/performance.md, "Rescoring phone
numbers"): numbers one edit away from a hearing's digits (more candidates right, up to 30 CPU-s per
turn), and a second decode restricted to digit and number words (no more numbers right).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.agent.spoken_numbers import DIGIT_WORDS, NUMBER_WORDS, REPEATS, us_phone_digits
from gateway.media.pcm import Pcm

NAMES = {digit: word for word, digit in DIGIT_WORDS.items()}
NUMBERISH = {*DIGIT_WORDS, "oh", *REPEATS, *NUMBER_WORDS}  # not "to"/"for": they open leads too


class Scorer(Protocol):
    def log_probs(self, audio: Pcm, texts: Sequence[str]) -> list[float]: ...


def best_first(audio: Pcm, hearings: Sequence[str], scorers: Sequence[Scorer]) -> list[str]:
    """`hearings` with the one holding the best-fitting number first; unchanged when fewer than two
    distinct numbers are held (nothing to choose, nothing spent)."""
    numbers = list(dict.fromkeys(d for d in map(us_phone_digits, hearings) if d))
    if len(numbers) < 2 or not scorers:
        return list(hearings)
    lead = lead_of(hearings[0])
    writings = [(number, f"{lead} {form}.".strip()) for number in numbers for form in spoken_forms(number)]
    totals = [0.0] * len(writings)
    for scorer in scorers:
        totals = [t + s for t, s in zip(totals, scorer.log_probs(audio, [w for _, w in writings]), strict=True)]
    best: dict[str, float] = {}
    for (number, _), total in zip(writings, totals, strict=True):
        best[number] = max(best.get(number, total), total)
    winner = max(numbers, key=lambda n: best[n])  # ties: the earlier hearing's number
    first = next(i for i, h in enumerate(hearings) if us_phone_digits(h) == winner)
    return [hearings[first], *hearings[:first], *hearings[first + 1 :]]


def spoken_forms(number: str) -> list[str]:
    """A ten-digit number written the two ways that chose best on the tuning voices, in 3-3-4 groups:
    as said with "oh" and "double"/"triple" ("five one two, triple five, oh one three four"), and as
    figures ("512-555-0134"). Adding the plain digit-by-digit writings chose no better for twice the CPU."""
    groups = (number[:3], number[3:6], number[6:])
    return [", ".join(_said(g) for g in groups), "-".join(groups)]


def _said(group: str) -> str:
    words: list[str] = []
    i = 0
    while i < len(group):
        digit = group[i]
        run = len(group[i:]) - len(group[i:].lstrip(digit))
        name = "oh" if digit == "0" else NAMES[digit]
        if run >= 3 and len(group) == 3:
            words.append(f"triple {name}")
            i += 3
        elif run >= 2:
            words.append(f"double {name}")
            i += 2
        else:
            words.append(name)
            i += 1
    return " ".join(words)


def lead_of(hearing: str) -> str:
    """The words before the number ("My cell is" of "My cell is 602, double five…"): every writing is
    scored after them, so they weigh the same in each."""
    words = hearing.split()
    for i, word in enumerate(words):
        bare = "".join(c for c in word.lower() if c.isalnum())
        if any(c.isdigit() for c in bare) or bare in NUMBERISH:
            return " ".join(words[:i])
    return hearing
