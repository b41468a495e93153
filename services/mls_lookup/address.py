"""Addresses as callers say them -> a comparable key ("123 Main Street" == "123 main st")."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "street": "st", "avenue": "ave", "drive": "dr", "lane": "ln", "road": "rd", "court": "ct",
    "boulevard": "blvd", "place": "pl", "trail": "trl", "parkway": "pkwy", "terrace": "ter",
    "circle": "cir", "highway": "hwy", "north": "n", "south": "s", "east": "e", "west": "w",
}  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9#]+")


def tokens(text: str) -> list[str]:
    return [ABBREVIATIONS.get(t, t) for t in _NON_WORD.sub(" ", text.lower()).split()]


def street_key(street: str) -> str:
    return " ".join(tokens(street))


def candidate_street_keys(query: str) -> list[str]:
    """Every leading run of the query's words, longest first: the street is one of them
    ("123 main st austin tx" -> "123 main st austin tx", "123 main st austin", ..., "123 main")."""
    words = tokens(query)
    return [" ".join(words[:n]) for n in range(len(words), 1, -1)]
