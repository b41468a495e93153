"""What a listener takes from a line of speech: the digits in it, whether it names a given time,
whether it is a yes, the questions in it. Written from how people say things, not from how the
agent happens to word them, so the checks hold whatever the dialog's phrasing.
"""

from __future__ import annotations

import re
from datetime import datetime

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
REPEATS = {"double": 2, "triple": 3}
HOUR_WORDS = ("twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")
MINUTE_WORDS = {15: "fifteen", 30: "thirty", 45: "forty five", 10: "ten", 20: "twenty", 40: "forty", 50: "fifty"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")  # fmt: skip

_UNITS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
ORDINALS = (
    *_UNITS, "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth", *(f"twenty {u}" for u in _UNITS), "thirtieth", "thirty first",
)  # fmt: skip

_YES = re.compile(
    r"\b(yes|yeah|yep|yup|ya|sure|correct|right|exactly|perfect|ok|okay|absolutely|definitely|"
    r"sounds good|go ahead|please do|do it|book it|that works|all good|affirmative|uh huh|mhm)\b"
)
_NOT_YES = re.compile(r"\b(no|nope|nah|not|wrong|actually|instead|change|wait|but|don't|isn't|incorrect)\b")
_REPEAT_ASKED = re.compile(
    r"\b(repeat|say (that|it) again|come again|pardon|what was that|didn't (catch|get|hear)|"
    r"one more time|again please|sorry\?|what\?)"
)


def plain(text: str) -> str:
    """Lower case, a.m./p.m. as am/pm, hyphens and punctuation (but ':' in times and "'") as spaces."""
    text = text.lower().replace("a.m.", "am").replace("p.m.", "pm")
    text = re.sub(r"(?<=\d)\s*(am|pm)\b", r" \1", text)
    text = re.sub(r"[^a-z0-9:'\s]", " ", text.replace("-", " "))
    text = re.sub(r":(?!\d)|(?<!\d):", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def digits_said(text: str) -> str:
    """Every digit in `text` in order, numerals and digit words alike ("double five" is 55).

    Other words are skipped, so a number read in groups with words between them ("512, then
    555...") still reads as one run of digits."""
    out: list[str] = []
    repeat = 1
    for token in re.findall(r"[0-9]+|[a-z']+", plain(text).replace(":", " ")):
        if token.isdigit():
            out.append(token[0] * repeat + token[1:])
            repeat = 1
        elif token in DIGIT_WORDS:
            out.append(DIGIT_WORDS[token] * repeat)
            repeat = 1
        elif token in REPEATS:
            repeat = REPEATS[token]
    return "".join(out)


def national(phone: str) -> str:
    """The digits a caller would say for `phone`: a NANP number without its +1."""
    digits = re.sub(r"\D", "", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def says_phone(text: str, phone: str) -> bool:
    """Does `text` read out all of `phone`'s digits, in any grouping?"""
    wanted = national(phone)
    return len(wanted) >= 7 and wanted in digits_said(text)


def _hour_forms(hour12: int) -> str:
    return rf"(?:{hour12}|{HOUR_WORDS[hour12 % 12]})"


def says_clock_time(text: str, local: datetime) -> bool:
    """Does `text` name the clock time of `local` (9:30, "nine thirty", "half past nine", "2 pm",
    "at two", "noon"), with no contradicting am/pm?"""
    t = plain(text)
    hour12 = local.hour % 12 or 12
    mer, other = ("am", "pm") if local.hour < 12 else ("pm", "am")
    h = _hour_forms(hour12)
    not_other = rf"(?!\s*{other}\b)"
    m = local.minute
    if m == 0:
        no_minutes = r"(?!\s*(?::\d|[.]\d|\d\d\b|fifteen|thirty|forty|twenty|fifty|ten\b))"
        part = "morning" if local.hour < 12 else "(?:afternoon|evening)"
        patterns = [
            rf"\b{h}(?::00)?\s*(?:{mer}\b|o'?clock\b)",
            rf"\b(?:at|for|by|around) {h}(?::00)?\b{no_minutes}{not_other}",
            rf"\b{h}(?::00)? in the {part}\b",
        ]
        if local.hour == 12:
            patterns.append(r"\b(?:noon|midday)\b")
    else:
        minute_words = MINUTE_WORDS.get(m, "")
        patterns = [rf"\b{hour12}:{m:02d}\b{not_other}", rf"\b{h} {m:02d}\b{not_other}"]
        if minute_words:
            patterns.append(rf"\b{h} {minute_words}\b{not_other}")
        if m == 30:
            patterns.append(rf"\bhalf past {h}\b{not_other}")
        if m == 15:
            patterns.append(rf"\bquarter past {h}\b{not_other}")
        if m == 45:
            patterns.append(rf"\bquarter to {_hour_forms(hour12 % 12 + 1)}\b{not_other}")
    return any(re.search(p, t) for p in patterns)


def says_day(text: str, local: datetime, today: datetime) -> bool:
    """Does `text` name the day of `local`: its weekday, "today"/"tomorrow", or its date?"""
    t = plain(text)
    day = local.date()
    if re.search(rf"\b{WEEKDAYS[day.weekday()]}\b", t):
        return True
    ahead = (day - today.date()).days
    if (ahead == 0 and re.search(r"\btoday\b", t)) or (ahead == 1 and re.search(r"\btomorrow\b", t)):
        return True
    month, nth = MONTHS[day.month - 1], ORDINALS[day.day - 1]
    return bool(re.search(rf"\b(?:{month}|{month[:3]}) {day.day}\b|\b{day.day}(?:st|nd|rd|th)\b|\bthe {nth}\b", t))


def says_time(text: str, local: datetime, today: datetime) -> bool:
    """The day and the clock time of `local`, both in `text` (`today`: the call's clock, same zone)."""
    return says_day(text, local, today) and says_clock_time(text, local)


def is_yes(text: str) -> bool:
    """A plain agreement: a yes word and nothing that takes it back or changes something."""
    t = plain(text)
    return bool(_YES.search(t)) and not _NOT_YES.search(t)


def asks_repeat(text: str) -> bool:
    """The caller asked to hear the last thing again."""
    return bool(_REPEAT_ASKED.search(text.lower()))


_LEAD_IN = re.compile(r"^(?:(?:ok|okay|sorry|great|thanks|thank you|alright|all right|got it|sure|perfect|no problem|"
                      r"so|and|now|also|hmm|oh)\b\s*)+")  # fmt: skip


def questions(line: str) -> list[str]:
    """The questions in an agent line, normalised: lower case, no punctuation, no lead-in words."""
    found = []
    for sentence in re.findall(r"[^.?!]*\?", line):
        q = _LEAD_IN.sub("", plain(sentence)).strip()
        if q:
            found.append(q)
    return found
