"""Cutting streamed LLM text into sentences to speak."""

from __future__ import annotations

from gateway.agent.sentences import SentenceBuffer


def stream(text: str, size: int) -> list[str]:
    buffer, out = SentenceBuffer(), []
    for i in range(0, len(text), size):
        out += buffer.feed(text[i : i + size])
    return out + ([rest] if (rest := buffer.flush()) else [])


def test_sentences_come_out_as_soon_as_they_end_whatever_the_chunking() -> None:
    text = "I found 12 homes! The first is on Elm St. in Austin. It costs $450,000.50 today. Want to see it?"
    expected = ["I found 12 homes!", "The first is on Elm St. in Austin.", "It costs $450,000.50 today.",
                "Want to see it?"]  # fmt: skip
    for size in (1, 3, 7, 200):
        assert stream(text, size) == expected


def test_a_sentence_is_released_before_the_next_one_is_complete() -> None:
    buffer = SentenceBuffer()
    assert buffer.feed("Sure. Let me") == ["Sure."]
    assert buffer.feed(" check") == []
    assert buffer.flush() == "Let me check"


def test_quotes_initials_and_long_clauses() -> None:
    assert stream('He said "yes." Then J. Smith left.', 4) == ['He said "yes."', "Then J. Smith left."]
    long = "one two three, " * 12 + "end"
    parts = stream(long, 5)
    assert len(parts) == 2 and parts[0].endswith(",") and " ".join(parts) == long.strip()
