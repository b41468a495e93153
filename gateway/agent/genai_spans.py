"""Spans for the agent's model calls and tool calls, in OpenTelemetry's GenAI conventions
(`gen_ai.*`: operation, provider, model, tokens, finish reasons; `execute_tool` spans).

Model names are `provider:model` (gateway/providers/prices.py). With tracing off every helper
returns a shared no-op at its first line.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from opentelemetry.trace import Span, SpanKind

from bus import tracing


def tool_span(tool: str, call_id: str = "") -> AbstractContextManager[Span | None]:
    """One tool call: the current span while it runs, so the service it calls continues the trace."""
    if not tracing.enabled():
        return tracing.NO_SPAN
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.type": "function"}
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    return tracing.span(f"execute_tool {tool}", attributes=attributes)


class ChatSpan:
    """One streamed chat completion. This base is the no-op one (tracing off)."""

    def __enter__(self) -> ChatSpan:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def tokens(self, input_tokens: int, output_tokens: int) -> None:
        pass

    def failed(self, error: Exception) -> None:
        pass

    def finished(self, tool_calls: int) -> None:
        pass


NO_CHAT = ChatSpan()


def chat_span(model: str) -> ChatSpan:
    """A span for one chat round with `model` (not made current: it lives across the stream's yields)."""
    if not tracing.enabled():
        return NO_CHAT
    provider, _, name = model.partition(":")
    if not name:
        provider, name = "", provider
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": name}
    if provider:
        attributes["gen_ai.provider.name"] = provider
    span = tracing.start_span(f"chat {name}", kind=SpanKind.CLIENT, attributes=attributes)
    return NO_CHAT if span is None else _LiveChatSpan(span)


class _LiveChatSpan(ChatSpan):
    def __init__(self, span: Span) -> None:
        self._span = span
        self._input = self._output = 0

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None and issubclass(kind, Exception):
            tracing.failed(self._span, kind.__name__)
        elif kind is not None:  # cancelled (a barge-in) or the stream closed: not the model's fault
            self._span.set_attribute("voicepod.cancelled", True)
        self._span.end()

    def tokens(self, input_tokens: int, output_tokens: int) -> None:
        self._input += input_tokens
        self._output += output_tokens
        self._span.set_attribute("gen_ai.usage.input_tokens", self._input)
        self._span.set_attribute("gen_ai.usage.output_tokens", self._output)

    def failed(self, error: Exception) -> None:
        tracing.failed(self._span, type(error).__name__, str(error))

    def finished(self, tool_calls: int) -> None:
        self._span.set_attribute("gen_ai.response.finish_reasons", ["tool_calls" if tool_calls else "stop"])
