"""Cutting a stream of LLM tokens into sentences, so the first one can be spoken while
the rest is still being generated."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally closed by a quote or bracket) followed by whitespace.
_END = re.compile(r"[.!?][\"')\]]*\s+")
# Words whose period does not end a sentence ("St. Louis", "Dr. Lee", "approx. 2").
_ABBREVIATIONS = {"st", "dr", "mr", "mrs", "ms", "ave", "blvd", "rd", "approx", "vs", "e.g", "i.e", "sq", "ft"}
# A clause this long is spoken at its next comma rather than waiting for the period.
_LONG = 160


class SentenceBuffer:
    def __init__(self) -> None:
        self._text = ""

    def feed(self, delta: str) -> list[str]:
        """Add a delta; return the sentences it completed (maybe none)."""
        self._text += delta
        done: list[str] = []
        start = 0
        for match in _END.finditer(self._text):
            before = self._text[start : match.start()].rsplit(None, 1)
            word = before[-1].lower().rstrip(".") if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            done.append(self._text[start : match.end()].strip())
            start = match.end()
        self._text = self._text[start:]
        if len(self._text) > _LONG and ", " in self._text:
            head, _, tail = self._text.rpartition(", ")
            done.append(head.strip() + ",")
            self._text = tail
        return [s for s in done if s]

    def flush(self) -> str:
        """What is left when the stream ends."""
        rest, self._text = self._text.strip(), ""
        return rest
