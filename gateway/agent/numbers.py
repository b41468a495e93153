"""Numbers as people say them: "six hundred thousand", "1.2 million", "$650k", "three thirty"."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "k": 1_000, "grand": 1_000, "m": 1_000_000}
NUMBER_WORD = "|".join([*UNITS, *TENS, "hundred", "thousand", "million", "a", "and"])


def words_to_number(words: list[str]) -> int | None:
    """["six", "hundred", "fifty", "thousand"] -> 650000; None if not a number."""
    total, current, seen = 0, 0, False
    for w in words:
        if w in ("and", "a"):
            continue  # "a hundred" works because a scale multiplies (current or 1)
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in ("thousand", "million"):
            total += (current or 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _groups(words: list[str]) -> list[list[str]]:
    """Split a run of number words where a new number starts: "five one two" is three numbers,
    "three thirty" two (a time), "twenty five" and "six hundred fifty thousand" one each."""
    groups: list[list[str]] = []
    previous = ""
    for w in words:
        starts_new = bool(groups) and (
            (previous in UNITS and (w in UNITS or w in TENS)) or (previous in TENS and w in TENS)
        )
        if not groups or starts_new:
            groups.append([w])
        else:
            groups[-1].append(w)
        if w not in ("and", "a"):
            previous = w
    return groups


def normalise(text: str) -> str:
    """Lower-case, and spelled-out numbers turned into digits ("six hundred thousand" -> "600000")."""
    text = text.lower().replace(",", " ").replace("-", " ")
    text = re.sub(r"\ba (hundred|thousand|million)\b", r"one \1", text)
    pattern = re.compile(rf"\b(?:{NUMBER_WORD})(?:\s+(?:{NUMBER_WORD}))*\b")

    def digits(match: re.Match[str]) -> str:
        out = []
        for group in _groups(match.group(0).split()):
            meaningful = [w for w in group if w not in ("a", "and")]
            # Filler words alone, or a bare scale after digits ("1.2 million"), stay words.
            if not meaningful or meaningful[0] in ("hundred", "thousand", "million"):
                out.append(" ".join(group))
                continue
            value = words_to_number(group)
            out.append(" ".join(group) if value is None else str(value))
        return " ".join(out)

    return pattern.sub(digits, text)


def money(text: str) -> list[int]:
    """Dollar amounts in already-normalised text: "600000", "$650k", "1.2 million", "600 k"."""
    found = []
    for m in re.finditer(r"\$?\s*(\d+(?:\.\d+)?)\s*(k|grand|thousand|m|million|mil)?\b", text):
        value = float(m.group(1))
        unit = m.group(2)
        if unit in ("k", "grand", "thousand"):
            value *= 1_000
        elif unit in ("m", "million", "mil"):
            value *= 1_000_000
        if value >= 10_000:  # prices, not bedroom counts
            found.append(int(value))
    return found
