"""The agent as the call's responder: the dialog decides what to say, TTS says it,
sentence by sentence; a short filler covers a slow tool so the caller is not left in
silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from gateway.agent.dialog import RealEstateDialog
from gateway.media.pcm import Pcm
from gateway.providers.tts import TextToSpeech
from gateway.responder import CallerTurn, Speech

FILLER = "One moment."
NOT_HEARD = "Sorry, I didn't catch that. Could you say it again?"


class AgentResponder:
    def __init__(
        self,
        dialog: RealEstateDialog,
        tts: TextToSpeech,
        emit: Callable[..., Any] = lambda *a, **k: None,
        filler_after: float = 0.7,
    ) -> None:
        self.dialog = dialog
        self.tts = tts
        self.emit = emit
        self.filler_after = filler_after
        self._voice_cache: dict[str, Pcm] = {}

    @property
    def ended(self) -> bool:
        return self.dialog.ended

    async def greeting(self) -> Speech | None:
        text = " ".join(self.dialog.greeting())
        return Speech(text=text, pcm=await self._speak(text))

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        if not turn.text.strip():
            yield Speech(text=NOT_HEARD, pcm=await self._speak(NOT_HEARD))
            return
        thinking = asyncio.ensure_future(self.dialog.respond(turn.text))
        try:
            done, _ = await asyncio.wait({thinking}, timeout=self.filler_after)
            if not done:
                yield Speech(text=FILLER, pcm=await self._speak(FILLER))
            for line in await thinking:
                yield Speech(text=line, pcm=await self._speak(line))
        finally:
            thinking.cancel()  # barge-in cancels the work in flight, not only the audio

    def heard(self, turn: int, text: str) -> None:
        self.dialog.heard(text)

    async def _speak(self, text: str) -> Pcm:
        if text in self._voice_cache:
            return self._voice_cache[text]
        pcm = await self.tts.synthesize(text)
        if len(text) < 60:  # short stock phrases recur (fillers, prompts)
            self._voice_cache[text] = pcm
        return pcm
