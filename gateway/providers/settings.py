"""Which providers answer calls, read from the environment.

Cloud providers are used when their keys are set, unless VOICEPOD_STT / VOICEPOD_TTS /
VOICEPOD_ENGINE say otherwise; without keys everything runs offline (whisper, Piper,
the deterministic dialog). Keys are kept out of repr() so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

STT_CHOICES = ("whisper", "deepgram", "none")
TTS_CHOICES = ("piper", "espeak", "openai", "deepgram")
ENGINE_CHOICES = ("dialog", "chat", "realtime")


@dataclass(frozen=True)
class ProviderSettings:
    stt: str = "whisper"
    tts: str = "piper"
    engine: str = "dialog"
    deepgram_api_key: str = field(default="", repr=False)
    # Deepgram's API root; a local server speaking its protocol in tests, e.g. http://127.0.0.1:9000.
    deepgram_url: str = ""
    deepgram_stt_model: str = "nova-3"
    # The offline whisper model (gateway/providers/stt/whisper_models.py; figures in docs/performance.md):
    # "by-slot" (default) decodes phone-number turns with base and the rest with tiny.en.
    whisper_model: str = "by-slot"
    # Whisper decodes each turn while the caller speaks, so the final text is ready as the turn ends
    # (gateway/providers/stt/incremental.py; figures in docs/performance.md). VOICEPOD_END_OF_TURN=text
    # reads that text at the caller's pauses and needs it. On by default (again, 2026-12-07): the audio
    # eval failure that turned it off was a test assertion since relaxed (a reply a barge-in cuts after
    # ~0.2 s heard back as no words), 8 of 8 subset runs pass with it on; it saves the median turn its
    # decode after the turn (~0.5 s), and decodes only when the STT's worker is idle (docs/performance.md).
    stt_incremental: bool = True
    # "opus": an STT that takes Opus is sent the caller's own packets when the media stack has them
    # (lean); "pcm": always 16 kHz linear16.
    stt_audio: str = "opus"
    # Who ends the caller's turns: "local" (Silero VAD and our endpointing) or "provider" (the
    # streaming STT's endpointing and speech events; the call then decodes nothing on the lean stack).
    turns: str = "local"
    # "opus": a cloud voice returns Ogg Opus, played to the caller as it is (no decode, no encode of
    # ours); "pcm": it returns PCM that our encoder turns into Opus.
    tts_audio: str = "opus"
    deepgram_tts_voice: str = "aura-2-thalia-en"
    openai_api_key: str = field(default="", repr=False)
    # Any OpenAI-compatible server (vLLM, Ollama, llama.cpp); empty: api.openai.com.
    openai_base_url: str = ""
    llm_model: str = "gpt-4o-mini"
    tts_model: str = "gpt-4o-mini-tts"
    tts_voice: str = "alloy"
    realtime_model: str = "gpt-realtime"
    # What the Realtime engine is given and gives back: "text" (our STT / our TTS) or "audio".
    realtime_input: str = "text"
    realtime_output: str = "text"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProviderSettings:
        env = os.environ if env is None else env

        def pick(name: str, default: str, choices: tuple[str, ...]) -> str:
            value = env.get(name, "").strip().lower() or default
            if value not in choices:
                raise SystemExit(f"{name}={value!r}: choose one of {', '.join(choices)}")
            return value

        deepgram = env.get("DEEPGRAM_API_KEY", "").strip()
        openai = env.get("OPENAI_API_KEY", "").strip()
        base_url = env.get("OPENAI_BASE_URL", "").strip()
        # OpenAI's own speech only when the key is for OpenAI itself (not a local compatible server).
        default_tts = "deepgram" if deepgram else "openai" if openai and not base_url else "piper"
        engine = pick("VOICEPOD_ENGINE", "chat" if openai else "dialog", ENGINE_CHOICES)
        realtime_input = pick("VOICEPOD_REALTIME_INPUT", "text", ("text", "audio"))
        # A Realtime engine that hears the caller's audio itself needs no STT of ours (it transcribes).
        hears_audio = engine == "realtime" and realtime_input == "audio"
        default_stt = "none" if hears_audio else "deepgram" if deepgram else "whisper"
        # The text end of turn (gateway/turns.py) needs the text while the caller speaks.
        words_end_turns = env.get("VOICEPOD_END_OF_TURN", "").strip().lower() == "text"
        incremental = "on" if cls.stt_incremental or words_end_turns else "off"
        return cls(
            stt=pick("VOICEPOD_STT", default_stt, STT_CHOICES),
            tts=pick("VOICEPOD_TTS", default_tts, TTS_CHOICES),
            engine=engine,
            deepgram_api_key=deepgram,
            deepgram_url=env.get("DEEPGRAM_URL", "").strip(),
            deepgram_stt_model=env.get("VOICEPOD_DEEPGRAM_STT_MODEL", "").strip() or cls.deepgram_stt_model,
            whisper_model=pick("VOICEPOD_WHISPER_MODEL", cls.whisper_model, ("by-slot", "tiny.en", "base")),
            stt_incremental=pick("VOICEPOD_STT_INCREMENTAL", incremental, ("on", "off")) == "on",
            stt_audio=pick("VOICEPOD_STT_AUDIO", cls.stt_audio, ("opus", "pcm")),
            turns=pick("VOICEPOD_TURNS", cls.turns, ("local", "provider")),
            tts_audio=pick("VOICEPOD_TTS_AUDIO", cls.tts_audio, ("opus", "pcm")),
            deepgram_tts_voice=env.get("VOICEPOD_DEEPGRAM_TTS_VOICE", "").strip() or cls.deepgram_tts_voice,
            openai_api_key=openai,
            openai_base_url=base_url,
            llm_model=env.get("VOICEPOD_LLM_MODEL", "").strip() or cls.llm_model,
            tts_model=env.get("VOICEPOD_OPENAI_TTS_MODEL", "").strip() or cls.tts_model,
            tts_voice=env.get("VOICEPOD_OPENAI_TTS_VOICE", "").strip() or cls.tts_voice,
            realtime_model=env.get("VOICEPOD_REALTIME_MODEL", "").strip() or cls.realtime_model,
            realtime_input=realtime_input,
            realtime_output=pick("VOICEPOD_REALTIME_OUTPUT", "text", ("text", "audio")),
        )

    def check(self) -> None:
        """Fail at start, not on the first caller, when a chosen provider has no key."""
        needs = {
            "deepgram": self.deepgram_api_key,
            "openai": self.openai_api_key,
        }
        if self.turns == "provider" and self.stt != "deepgram":
            raise SystemExit(f"VOICEPOD_TURNS=provider needs a streaming STT that ends turns (VOICEPOD_STT=deepgram), "
                             f"not {self.stt!r}")  # fmt: skip
        wanted = {"stt": self.stt, "tts": self.tts, "engine": "openai" if self.engine != "dialog" else ""}
        for role, provider in wanted.items():
            if provider in needs and not needs[provider]:
                key = "DEEPGRAM_API_KEY" if provider == "deepgram" else "OPENAI_API_KEY"
                raise SystemExit(f"{role} provider {provider!r} needs {key}")


def prices_file(env: Mapping[str, str] | None = None) -> str:
    """VOICEPOD_PRICES_FILE: a JSON file of list prices over the defaults (gateway/providers/prices.py)."""
    env = os.environ if env is None else env
    return env.get("VOICEPOD_PRICES_FILE", "").strip()
