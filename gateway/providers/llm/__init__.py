"""Language models: one interface, chosen by configuration (VOICEPOD_ENGINE=chat).

A chat model streams one assistant message for a conversation: text deltas as they
are generated, the tool calls it wants (complete, arguments as the model wrote them),
and the tokens it used. Failures to reach or hear from the model raise ModelError so
the agent can fall back to its deterministic path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str  # JSON as the model wrote it: may be invalid


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int
    output_tokens: int


ChatEvent = TextDelta | ToolCallRequest | TokenUsage


class ModelError(Exception):
    """The model could not be reached, refused the request, or stopped answering."""


class ChatModel(Protocol):
    name: str  # provider:model, as priced in gateway/providers/prices.py

    def stream(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
    ) -> AsyncIterator[ChatEvent]: ...
