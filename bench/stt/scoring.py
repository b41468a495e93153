"""Scoring one transcript: word errors on a canonical form, a phone number's digits exactly right."""

from __future__ import annotations

import re

from gateway.agent.numbers import normalise
from gateway.agent.spoken_numbers import spelled, us_phone_digits


def canonical(text: str) -> list[str]:
    """Words to compare: lower case, numbers as digits one per word ("$600,000" and "six hundred
    thousand" agree, so do "512-555" and "five one two, five five five"), "double five" as "5 5"."""
    t = normalise(text)
    t = re.sub(r"\b(double|triple)\s+(\d)\b", lambda m: " ".join(m[2] * (2 if m[1] == "double" else 3)), t)
    t = re.sub(r"[^a-z0-9' ]+", " ", t.replace("'s", "s"))
    words: list[str] = []
    for w in t.split():
        words.extend(list(w) if w.isdigit() else [w])
    return words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def phone_digits(heard: str) -> str:
    """The ten digits of the US number heard in the text, as the agent would take them ("" if none)."""
    return us_phone_digits(heard) or ""


def phone_taken(hearings: list[str]) -> str:
    """The digits the dialog takes from a turn: the first hearing (top, then the STT's runners-up)
    that holds a whole number, as gateway/agent/contact.py PhoneCollector does ("" if none)."""
    return next((d for d in map(phone_digits, hearings) if d), "")


def letters_right(heard: str, expected: str) -> bool:
    return spelled(heard) == expected or expected in spelled(heard)
