"""Building the configured providers. Cloud SDKs are imported only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.providers.llm import ChatModel
from gateway.providers.settings import ProviderSettings
from gateway.providers.stt import SpeechToText
from gateway.providers.tts import TextToSpeech

if TYPE_CHECKING:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot
    from gateway.providers.stt.whisper_local import WhisperLocal


def choose_stt(p: ProviderSettings) -> SpeechToText | None:
    if p.stt == "none":
        return None
    if p.stt == "deepgram":
        from gateway.providers.stt.deepgram_live import DeepgramLive
        from gateway.providers.stt.fallback import FallbackSTT

        live = DeepgramLive(api_key=p.deepgram_api_key, model=p.deepgram_stt_model, base_url=p.deepgram_url,
                            takes_opus=p.stt_audio == "opus")  # fmt: skip
        return FallbackSTT(live, _whisper(p))  # a turn Deepgram cannot finish is transcribed offline
    return _whisper(p)


def _whisper(p: ProviderSettings) -> WhisperLocal | WhisperBySlot:
    if p.whisper_model == "by-slot":
        from gateway.providers.stt.whisper_by_slot import WhisperBySlot

        return WhisperBySlot(incremental=p.stt_incremental)
    from gateway.providers.stt.whisper_local import WhisperLocal
    from gateway.providers.stt.whisper_models import MODELS

    return WhisperLocal(MODELS[f"whisper-{p.whisper_model}"], incremental=p.stt_incremental)


def choose_tts(p: ProviderSettings) -> TextToSpeech:
    cloud: TextToSpeech | None = None
    if p.tts == "deepgram":
        from gateway.providers.tts.deepgram_aura import DeepgramAura

        cloud = DeepgramAura(api_key=p.deepgram_api_key, voice=p.deepgram_tts_voice, base_url=p.deepgram_url,
                             opus=p.tts_audio == "opus")  # fmt: skip
    elif p.tts == "openai":
        from gateway.providers.tts.openai_speech import OpenAISpeech

        cloud = OpenAISpeech(api_key=p.openai_api_key, base_url=p.openai_base_url, model=p.tts_model, voice=p.tts_voice,
                             opus=p.tts_audio == "opus")  # fmt: skip
    if cloud is not None:
        from gateway.providers.tts.fallback import FallbackTTS
        from gateway.providers.tts.piper_local import PiperLocal

        return FallbackTTS(cloud, PiperLocal())  # a cloud voice that fails falls back to the offline one
    if p.tts == "espeak":
        from gateway.providers.tts.espeak import Espeak

        return Espeak()
    from gateway.providers.tts.piper_local import PiperLocal

    return PiperLocal()


def choose_chat(p: ProviderSettings) -> ChatModel | None:
    """The LLM of the chat engine (VOICEPOD_ENGINE=chat), else None: the agent's own calls and shadow
    mode's recommendations share this choice."""
    if p.engine != "chat":
        return None
    from gateway.providers.llm.openai_chat import OpenAIChat

    return OpenAIChat(api_key=p.openai_api_key, base_url=p.openai_base_url, model=p.llm_model)
