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
    """["six", "hundred", "fifty", "thousand"] -> 650000; None if not one well-formed number
    ("four hundred five hundred" is two numbers, so it is None here rather than 40500)."""
    total, current, seen = 0, 0, False
    last_scale: int | None = None  # thousand/million must come in decreasing order
    for w in words:
        if w in ("and", "a"):
            continue  # "a hundred" works because a scale multiplies (current or 1)
        if w in UNITS:
            tens_only = current % 100 >= 20 and current % 10 == 0
            if current % 100 and not (tens_only and UNITS[w] < 10):
                return None  # "twenty twelve", "five five"
            current += UNITS[w]
        elif w in TENS:
            if current % 100:
                return None
            current += TENS[w]
        elif w == "hundred":
            if current >= 100:
                return None  # a second "hundred" in one block starts another number
            current = (current or 1) * 100
        elif w in ("thousand", "million"):
            if last_scale is not None and SCALES[w] >= last_scale:
                return None
            total += (current or 1) * SCALES[w]
            current, last_scale = 0, SCALES[w]
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
    return [part for group in groups for part in _split_at_and(group)]


def _split_at_and(group: list[str]) -> list[list[str]]:
    """Split a group at an "and" that does not join one number: "four hundred and five" is one number,
    "four hundred and five hundred thousand" two (a range). The parts around an "and" are joined only
    while they make one well-formed number; any other "and" stays a word ("400 and 500000", "2 and a")."""
    parts: list[list[str]] = [[]]
    for w in group:
        if w == "and":
            parts.append([])
        else:
            parts[-1].append(w)
    out: list[list[str]] = []
    current = parts[0]
    for part in parts[1:]:
        if current and part and part != ["a"] and words_to_number([*current, "and", *part]) is not None:
            current = [*current, "and", *part]
            continue
        if current:
            out.append(current)
        out.append(["and"])
        current = part
    if current:
        out.append(current)
    return out


DIGIT_WORD = "zero|oh|one|two|three|four|five|six|seven|eight|nine"
ONE_TO_NINE = "one|two|three|four|five|six|seven|eight|nine"
TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
# A whole number said before "point" or "and a half": "one", "twenty five", "12".
WHOLE = rf"(?:(?:{'|'.join(TENS)})(?:\s+(?:{ONE_TO_NINE}))?|{'|'.join(UNITS)}|\d+)"
BIG = r"(?:thousand|million|k|grand)"


def _decimals(text: str) -> str:
    """Fractions said in words, as digits a price can be read from: "one point two million" ->
    "1.2 million", "one and a half million" -> "1.5 million", "half a million" -> "0.5 million"."""

    def whole(said: str) -> str:
        if said.isdigit():
            return said
        return "1" if said == "a" else str(words_to_number(said.split()))  # "a million and a half"

    def point(m: re.Match[str]) -> str:
        fraction = "".join(w if w.isdigit() else str(UNITS[w]) for w in m.group(2).split())
        return f"{whole(m.group(1))}.{fraction}"

    text = re.sub(rf"\b({WHOLE})\s+point\s+((?:{DIGIT_WORD}|\d)(?:\s+(?:{DIGIT_WORD}|\d))*)\b", point, text)
    text = re.sub(rf"\b({WHOLE})\s+and\s+a\s+half\s+({BIG})\b", lambda m: f"{whole(m.group(1))}.5 {m.group(2)}", text)
    text = re.sub(rf"\b(a|{WHOLE})\s+({BIG})\s+and\s+a\s+half\b", lambda m: f"{whole(m[1])}.5 {m[2]}", text)
    return re.sub(rf"\bhalf\s+a\s+({BIG})\b", r"0.5 \1", text)


def normalise(text: str) -> str:
    """Lower-case, and spelled-out numbers turned into digits ("six hundred thousand" -> "600000")."""
    # "$700,000" as STT writes it: thousands separators go before commas become pauses.
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    # A comma is a pause: a number said before it does not run on into the words after it ("half a
    # million, three bedrooms" lost its "three"; "a million, three bedrooms" was 1000003 bedrooms).
    text = " ".join(_number_words(part) for part in text.lower().replace("-", " ").split(","))
    # The same number of two digits or more three times and more in a row is whisper repeating itself
    # ("Okay, Friday, 11, 11, 11, 11." for "friday at 11 am"), said once; never a phone number's digits.
    return _REPEATED.sub(r"\1", text)


_REPEATED = re.compile(r"\b(\d{2,})(?:\s+\1\b){2,}")


def _number_words(text: str) -> str:
    text = _decimals(text)
    text = re.sub(r"\ba (hundred|thousand|million)\b", r"one \1", text)
    # "seven fifty thousand" is 750,000 (hundreds left unsaid), not "7 50000"; "three thirty" stays a time.
    text = re.sub(rf"\b({ONE_TO_NINE})\s+((?:{'|'.join(TENS)})(?:\s+(?:{ONE_TO_NINE}))?|{TEENS})\s+(?={BIG}\b)",
                  r"\1 hundred \2 ", text)  # fmt: skip
    pattern = re.compile(rf"\b(?:{NUMBER_WORD})(?:\s+(?:{NUMBER_WORD}))*\b")

    def digits(match: re.Match[str]) -> str:
        out = []
        for group in _groups(match.group(0).split()):
            meaningful = [w for w in group if w not in ("a", "and")]
            # Filler words alone, or a bare scale after digits ("1.2 million"), stay words; a number
            # after that scale is its own ("0.5 million three bedrooms": 3 bedrooms).
            if not meaningful or meaningful[0] in ("hundred", "thousand", "million"):
                scale = group.index(meaningful[0]) + 1 if meaningful else len(group)
                rest = group[scale:]
                value = words_to_number(rest) if rest else None
                out.append(" ".join([*group[:scale], *([str(value)] if value is not None else rest)]))
                continue
            value = words_to_number(group)
            out.append(" ".join(group) if value is None else str(value))
        return " ".join(out)

    return pattern.sub(digits, text)


AMOUNT = r"\$?\s*(\d+(?:\.\d+)?)\s*(k|grand|thousand|m|million|mil)?\b"


def _dollars(number: str, unit: str | None) -> float:
    value = float(number)
    if unit in ("k", "grand", "thousand"):
        value *= 1_000
    elif unit in ("m", "million", "mil"):
        value *= 1_000_000
    return value


def money(text: str) -> list[int]:
    """Dollar amounts in already-normalised text: "600000", "$650k", "1.2 million", "600 k"."""
    found = []
    for m in re.finditer(AMOUNT, text):
        value = _dollars(m.group(1), m.group(2))
        if value >= 10_000:  # prices, not bedroom counts
            found.append(_thousands_after_millions(int(value)))
    return found


def _thousands_after_millions(value: int) -> int:
    """ "a million fifty" (normalised 1000050) is $1,050,000 as a price: no one prices a home at a
    million and fifty dollars, so a few units after whole millions are thousands."""
    millions, rest = divmod(value, 1_000_000)
    if millions and 0 < rest < 1000:
        return millions * 1_000_000 + rest * 1000
    return value


def price_range(text: str) -> tuple[int, int] | None:
    """A price range in already-normalised text, (low, high): "between 400000 and 500000", "from 1.2 to
    1.5 million". The low end often leaves its scale unsaid ("between 400 and 500000", "between 3 and
    400000"): it takes the largest power of ten that keeps it at or below the high end."""
    m = re.search(rf"\b(?:between|from)\s+{AMOUNT}\s*(?:and|to)\s+{AMOUNT}", text)
    if m is None:
        return None
    low, high = _dollars(m.group(1), m.group(2)), _dollars(m.group(3), m.group(4))
    if high < 10_000 or low <= 0:
        return None  # "between 2 and 3 bedrooms"
    if low < 10_000 and m.group(2) is None:
        while low * 10 <= high:
            low *= 10
    if low < 10_000:
        return None
    return round(min(low, high)), round(max(low, high))
