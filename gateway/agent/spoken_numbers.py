"""Digits and letters as callers say them, and as an STT writes them down.

`digit_string("five one two, double five five, oh one three four")` -> "5125550134"
`spelled("S as in Sam, M I T H")` -> "smith"; `spelled("john dot smith at gmail dot com")`
-> "john.smith@gmail.com".

Pure functions, no state. The words that only sound like digits ("for", "to", "won", "ate", "oh")
count as digits only inside a run that already holds at least three digits said one by one (or in
groups of three or more), so "a house for two" or "from 2 to 4" stay words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.numbers import words_to_number

DIGIT_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9",
}  # fmt: skip
# Sound like a digit, mean it only among other digits.
HOMOPHONES = {
    "oh": "0", "o": "0", "won": "1", "to": "2", "too": "2", "free": "3", "tree": "3", "for": "4", "fore": "4",
    "ate": "8",
}  # fmt: skip
NUMBER_WORDS = {
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
}  # fmt: skip
SCALE_WORDS = {"hundred", "thousand"}
REPEATS = {"double": 2, "triple": 3, "treble": 3}
# Said between the digits of one number without ending it.
FILLERS = {"a", "dash", "hyphen", "uh", "um", "er", "erm", "and", "then", "area", "code", "is", "the", "rest"}
_TOKEN = re.compile(r"\+?\d[\d\-.()/ ]*\d|\d|[a-z]+(?:'[a-z]+)?|[,;:!?]")


@dataclass
class _Token:
    text: str
    digits: str = ""  # what it contributes once accepted
    kind: str = "word"  # digits | homophone | number | repeat | filler | word | stop


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for raw in _TOKEN.findall(text.lower().replace("-", " - ").replace("–", " - ")):
        if raw[0].isdigit() or raw[0] == "+":
            out.append(_Token(raw, re.sub(r"\D", "", raw), "digits"))
        elif raw in DIGIT_WORDS:
            out.append(_Token(raw, DIGIT_WORDS[raw], "digits"))
        elif raw in HOMOPHONES:
            out.append(_Token(raw, HOMOPHONES[raw], "homophone"))
        elif raw in NUMBER_WORDS:
            out.append(_Token(raw, "", "number"))
        elif raw in REPEATS:
            out.append(_Token(raw, "", "repeat"))
        elif raw in FILLERS:
            out.append(_Token(raw, "", "filler"))
        elif raw in {",", ";", ":"}:
            out.append(_Token(raw, "", "filler"))
        else:
            out.append(_Token(raw, "", "stop" if raw in {".", "!", "?"} else "word"))
    # A hyphen splits "512-555-0134" into groups above; it was a separator, never a word.
    return [t for t in out if t.text != "-"]


def _runs(tokens: list[_Token]) -> list[list[_Token]]:
    """Stretches of number-ish tokens; any other word ends a stretch."""
    runs: list[list[_Token]] = [[]]
    for t in tokens:
        if t.kind in {"word", "stop"}:
            runs.append([])
        else:
            runs[-1].append(t)
    return [r for r in runs if any(t.kind in {"digits", "homophone", "number"} for t in r)]


def _one_by_one(run: list[_Token]) -> int:
    """Digits in the run said singly or in groups of three or more: evidence that it is a digit string."""
    return sum(len(t.digits) for t in run if t.kind == "digits" and len(t.digits) != 2)


def _read(run: list[_Token]) -> list[str]:
    """The digit strings of one run: a homophone that is not taken as a digit splits it ("2 to 4")."""
    lone = _one_by_one(run) >= 3
    pieces: list[str] = []
    out: list[str] = []
    words: list[str] = []  # a pending cardinal: "five hundred fifty five", "twelve", "twenty one"
    repeat = 1

    def flush() -> None:
        if words:
            out.append(_cardinal(words))
            words.clear()

    for i, t in enumerate(run):
        if t.kind == "repeat":
            flush()
            repeat = REPEATS[t.text]
            continue
        if t.kind == "homophone":
            follows_repeat = repeat > 1
            # "oh" is a zero next to any digit ("two oh oh", "oh five"); "to"/"for" need a longer run.
            zero = t.text in {"oh", "o"} and _next_to_digit(run, i)
            if not (lone or follows_repeat or zero):
                flush()
                pieces.append("".join(out))
                out.clear()
                repeat = 1
                continue
        if t.kind == "filler":
            # "five hundred and twelve": an "and" inside a cardinal belongs to it.
            if t.text == "and" and words and i + 1 < len(run) and run[i + 1].kind in {"number", "digits"}:
                words.append("and")
                continue
            flush()
            continue
        if t.kind == "number" or (t.kind == "digits" and t.text in DIGIT_WORDS and words):
            if t.kind == "digits" and not _joins(words, t.text, run[i + 1 :]):
                flush()
                if i + 1 < len(run) and run[i + 1].text in SCALE_WORDS:
                    words.append(t.text)  # "twenty one | two thousand": the digit starts the next cardinal
                else:
                    out.append(t.digits)
                continue
            if words and words_to_number([*words, t.text]) is None:
                flush()  # "seventy seven | eighty eight": a new number starts
            words.append(t.text)
            continue
        flush()
        if repeat > 1 and t.digits:
            out.append(t.digits[0] * repeat + t.digits[1:])
        elif t.kind == "digits" and t.text in DIGIT_WORDS and i + 1 < len(run) and run[i + 1].text in SCALE_WORDS:
            words.append(t.text)  # "eight hundred", "two thousand": the digit starts a cardinal
        else:
            out.append(t.digits)
        repeat = 1
    flush()
    return [p for p in [*pieces, "".join(out)] if p]


def _next_to_digit(run: list[_Token], i: int) -> bool:
    """A digit said right before or after, past pauses and other ohs ("three, oh, one"; "two oh oh")."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(run) and (run[j].text in {"oh", "o", ",", ";", ":"}):
            j += step
        if 0 <= j < len(run) and run[j].kind == "digits":
            return True
    return False


def _joins(words: list[str], unit: str, rest: list[_Token]) -> bool:
    """Whether a unit word continues the pending cardinal ("fifty" + "five"; "hundred" + "five").
    Not when another single digit follows at once: "eight hundred five five five" is 800 555."""
    if rest and rest[0].kind in {"digits", "homophone", "repeat"} and words[-1] == "hundred":
        return False
    return words_to_number([*words, unit]) is not None and words[-1] not in DIGIT_WORDS


def _cardinal(words: list[str]) -> str:
    value = words_to_number(words)
    if value is not None:
        return str(value)
    # Not one number ("twenty twenty"): read each well-formed piece in turn.
    return "".join(str(words_to_number([w])) for w in words if w != "and" and words_to_number([w]) is not None)


def digit_runs(text: str) -> list[str]:
    """Every digit string said in the text, in order ("call 512 555 0134 after 3" -> ["5125550134", "3"])."""
    return [digits for run in _runs(_tokens(text)) for digits in _read(run)]


def digit_string(text: str) -> str:
    """The longest digit string said in the text, however it was said ("" if none)."""
    return max(digit_runs(text), key=len, default="")


LETTERS = {
    "a": "a", "ay": "a", "eh": "a", "b": "b", "bee": "b", "be": "b", "c": "c", "see": "c", "sea": "c", "cee": "c",
    "d": "d", "dee": "d", "e": "e", "ee": "e", "f": "f", "ef": "f", "eff": "f", "g": "g", "gee": "g",
    "h": "h", "aitch": "h", "haitch": "h", "i": "i", "eye": "i", "j": "j", "jay": "j", "k": "k", "kay": "k",
    "l": "l", "el": "l", "ell": "l", "m": "m", "em": "m", "n": "n", "en": "n", "o": "o", "oh": "o",
    "p": "p", "pee": "p", "q": "q", "cue": "q", "queue": "q", "r": "r", "ar": "r", "are": "r", "s": "s",
    "es": "s", "ess": "s", "t": "t", "tee": "t", "tea": "t", "u": "u", "you": "u", "v": "v", "vee": "v",
    "w": "w", "x": "x", "ex": "x", "y": "y", "why": "y", "wye": "y", "z": "z", "zee": "z", "zed": "z",
}  # fmt: skip
SYMBOLS = {"dot": ".", "period": ".", "point": ".", "at": "@", "underscore": "_", "dash": "-", "hyphen": "-"}
# Words that introduce or pad a spelling and are not part of it.
LEAD_INS = {
    "my", "name", "is", "it's", "its", "it", "that's", "thats", "spelled", "spelt", "spell", "email", "e",
    "mail", "address", "the", "um", "uh", "er", "and", "last", "first", "surname", "i", "am", "i'm", "this",
    "that", "letter", "letters", "like", "so", "okay", "ok", "yes", "yeah", "sign", "capital", "lowercase",
    "small", "all", "one", "word", "please",
}  # fmt: skip
_SPELL_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[@._\-]|,")


def spelled(text: str) -> str:
    """What was spelled out letter by letter, with e-mail words as symbols, lower case.

    "S M I T H" -> "smith"; "s as in sam m i t h" -> "smith"; "double t" -> "tt";
    "jane underscore doe at gmail dot com" -> "jane_doe@gmail.com". Whole words among the letters are
    kept where they belong to an address ("gmail"); a name said before its spelling is not repeated.
    """
    text = text.lower().replace("double-u", "w").replace("double u", "w")
    text = re.sub(r"[.!?](?=\s|$)", " , ", text)  # a sentence's full stop, not an address's dot
    tokens = _SPELL_TOKEN.findall(text)
    kinds = _spell_kinds(tokens)
    spelling = sum(k == "letter" for _, k in kinds) >= 2
    out: list[str] = []
    for i, (value, kind) in enumerate(kinds):
        if kind == "word" and spelling and not _next_to_symbol(kinds, i):
            continue  # "it's smith, s m i t h": the spelling says it
        if kind == "symbol" and value == "@" and not out:
            continue  # "at" before anything was spelled is just a word
        out.append(value)
    return "".join(out).strip(".-_@")


def _spell_kinds(tokens: list[str]) -> list[tuple[str, str]]:
    """(value, kind) per token that counts: kind is letter | digit | symbol | word."""
    kinds: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        t, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        if t in {"as", "for", "like"} and kinds and kinds[-1][1] == "letter" and nxt and nxt not in SYMBOLS:
            i += 3 if (t, nxt) == ("as", "in") else 2  # "s as in sam", "s for sam": the example names the letter
            continue
        if t == "double" and nxt in LETTERS:
            kinds.append((LETTERS[nxt] * 2, "letter"))
            i += 2
            continue
        if t == ",":
            pass
        elif t in {".", "-"}:
            prev_letter = bool(kinds) and kinds[-1][1] == "letter"
            if not (prev_letter and (len(nxt) == 1 or not nxt or nxt in {",", ".", "-"})):
                kinds.append((t, "symbol"))  # "john.smith" keeps its dot; "S-M-I-T-H" / "S. M." lose theirs
        elif t in {"@", "_"}:
            kinds.append((t, "symbol"))
        elif t in SYMBOLS:
            kinds.append((SYMBOLS[t], "symbol"))
        elif t.isdigit():
            kinds.append((t, "digit"))
        elif t in DIGIT_WORDS and kinds:
            kinds.append((DIGIT_WORDS[t], "digit"))
        elif len(t) == 1 or (t in LETTERS and t not in LEAD_INS and _among_letters(tokens, i)):
            kinds.append((LETTERS.get(t, t), "letter"))
        elif t not in LEAD_INS:
            kinds.append((t, "word"))
        i += 1
    return kinds


def _among_letters(tokens: list[str], i: int) -> bool:
    """A letter name ("bee", "you", "are") is a letter next to a single letter, or inside a run of three
    or more letter names ("see oh aitch ee en")."""
    near = [tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
    if any(len(n) == 1 and n.isalpha() for n in near):
        return True
    for start in range(i - 2, i + 1):
        window = tokens[max(0, start) : start + 3]
        if start >= 0 and len(window) == 3 and all(w in LETTERS and w not in LEAD_INS for w in window):
            return True
    return False


def _next_to_symbol(kinds: list[tuple[str, str]], i: int) -> bool:
    return any(0 <= j < len(kinds) and kinds[j][1] == "symbol" for j in (i - 1, i + 1))


def us_phone_digits(text: str) -> str | None:
    """The ten digits of a US phone number said in the text, or None.

    Only a run of exactly ten digits (or eleven with a leading 1) counts: ten digits are never picked
    out of a longer run, because a run of eleven or twelve means a digit was misheard or said twice,
    and which one is a guess. Several numbers: the last one said ("512 555 0134, no, 512 555 0143").
    """
    found = None
    for digits in digit_runs(text):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) == 10:
            found = digits
    return found
