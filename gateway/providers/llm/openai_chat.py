"""OpenAI Chat Completions (or any compatible server: vLLM, Ollama, llama.cpp) with
streaming and tool calls, through the official `openai` SDK.

No SDK retries: on a call a retry costs the caller seconds of silence, so a failure
goes straight to the agent's deterministic path instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx2  # the HTTP client openai 3.x is built on (its own dependency)
import openai

from gateway.providers.llm import ChatEvent, ModelError, TextDelta, TokenUsage, ToolCallRequest


class OpenAIChat:
    def __init__(
        self,
        api_key: str,
        base_url: str = "",
        model: str = "gpt-4o-mini",
        timeout: float = 8.0,
        temperature: float = 0.3,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self.temperature = temperature
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url or None, max_retries=0,
            timeout=openai.Timeout(timeout, connect=min(timeout, 3.0)),
        )  # fmt: skip

    async def stream(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
    ) -> AsyncIterator[ChatEvent]:
        calls: dict[int, dict[str, str]] = {}  # tool calls arrive in pieces, by index
        try:
            stream = await self._client.chat.completions.create(
                model=self.model, messages=list(messages), tools=list(tools) or openai.omit, stream=True,
                stream_options={"include_usage": True}, temperature=self.temperature,
            )  # type: ignore[call-overload]  # fmt: skip
            async for chunk in stream:
                if chunk.usage is not None:
                    yield TokenUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        yield TextDelta(delta.content)
                    for piece in delta.tool_calls or ():
                        call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = piece.id or call["id"]
                        if piece.function is not None:
                            call["name"] += piece.function.name or ""
                            call["arguments"] += piece.function.arguments or ""
        except (openai.APIError, httpx2.HTTPError) as exc:  # mid-stream read errors come from httpx2
            raise ModelError(f"{type(exc).__name__}: {exc}") from exc
        for index in sorted(calls):
            c = calls[index]
            yield ToolCallRequest(id=c["id"] or f"call_{index}", name=c["name"], arguments=c["arguments"])

    async def close(self) -> None:
        await self._client.close()
