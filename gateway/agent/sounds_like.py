"""Which known phrase a misheard one most likely was: "touch on" for Tucson, "sandy ego" for San
Diego, "Huston" for Houston.

Speech recognition writes a word it did not expect as the nearest common words. When the dialog
knows the few phrases an answer should be (its cities), a heard phrase that is spelled or sounds
close to one of them is worth asking about ("Did you say Tucson?") rather than asking the same
question again; it is never taken without that yes. Closeness is the better of two string ratios,
on the letters as written and on a rough sound key ("ph" as "f", a hard "c" as "k", doubled
letters once), over the heard words in runs of about the phrase's length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

# Chosen on made-up mishearings (tests/unit/test_sounds_like.py): at 0.8 "touch on", "Austen",
# "sandy ego" and "or land o" come back as cities, "dollars" (Dallas, 0.77), "condo" (Orlando) and
# "a house" (Houston) do not.
AT_LEAST = 0.8
_SOUND_RULES = (
    (r"ph", "f"), (r"ck", "k"), (r"c(?=[eiy])", "s"), (r"c", "k"), (r"q", "k"), (r"x", "ks"), (r"z", "s"),
    (r"wh", "w"), (r"(?:oo|ou)", "u"), (r"(?:ee|ea|ie)", "i"), (r"([a-z])\1", r"\1"),
)  # fmt: skip


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _sound(text: str) -> str:
    key = _letters(text)
    for pattern, replacement in _SOUND_RULES:
        key = re.sub(pattern, replacement, key)
    return key


def closeness(heard: str, phrase: str) -> float:
    """0..1: how close a heard run of words is to a phrase, as written or as it sounds."""
    written = SequenceMatcher(None, _letters(heard), _letters(phrase)).ratio()
    sounded = SequenceMatcher(None, _sound(heard), _sound(phrase)).ratio()
    return max(written, sounded)


def closest(heard: str, phrases: Sequence[str], *, at_least: float = AT_LEAST) -> str | None:
    """The phrase that some run of the heard words is closest to, if at least `at_least` close."""
    scores = _scores(heard, phrases)
    best = max(scores, key=lambda phrase: scores[phrase], default=None)
    return best if best is not None and scores[best] >= at_least else None


def ranked(heard: str, phrases: Sequence[str], count: int, *, at_least: float = 0.5) -> list[str]:
    """Up to `count` phrases some run of the heard words sounds like, closest first: choices to offer
    when the caller's answer was not heard ("talks on", "tops on": Tucson first, not the list's first)."""
    scores = _scores(heard, phrases)
    near = sorted((p for p in phrases if scores[p] >= at_least), key=lambda p: -scores[p])
    return near[:count]


def _scores(heard: str, phrases: Sequence[str]) -> dict[str, float]:
    """Each phrase's best closeness to a run of the heard words of about its length."""
    words = re.findall(r"[a-z']+", heard.lower())
    scores = dict.fromkeys(phrases, 0.0)
    for phrase in phrases:
        size = len(phrase.split())
        target = len(_sound(phrase))
        for n in sorted({max(1, size - 1), size, size + 1}):
            for i in range(len(words) - n + 1):
                run = " ".join(words[i : i + n])
                if abs(len(_sound(run)) - target) > max(2, target // 2):
                    continue  # far longer or shorter than the phrase: not a mishearing of it
                scores[phrase] = max(scores[phrase], closeness(run, phrase))
    return scores
