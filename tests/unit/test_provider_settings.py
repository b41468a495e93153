"""Which providers run: offline without keys, cloud ones when keys are set, explicit choices win."""

from __future__ import annotations

import pytest

from gateway.providers.settings import ProviderSettings


def test_offline_without_keys() -> None:
    p = ProviderSettings.from_env({})
    assert (p.stt, p.tts, p.engine) == ("whisper", "piper", "dialog")
    p.check()


def test_keys_turn_cloud_providers_on_and_stay_out_of_repr() -> None:
    p = ProviderSettings.from_env({"DEEPGRAM_API_KEY": "dg-secret", "OPENAI_API_KEY": "sk-secret"})
    assert (p.stt, p.tts, p.engine) == ("deepgram", "deepgram", "chat")
    assert "secret" not in repr(p)
    only_openai = ProviderSettings.from_env({"OPENAI_API_KEY": "sk-x"})
    assert (only_openai.stt, only_openai.tts, only_openai.engine) == ("whisper", "openai", "chat")
    # A local OpenAI-compatible server (vLLM, Ollama) has no speech endpoint: keep the offline voice.
    local = ProviderSettings.from_env({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert (local.tts, local.engine) == ("piper", "chat")


def test_explicit_choices_win_and_bad_ones_fail_clearly() -> None:
    p = ProviderSettings.from_env({"OPENAI_API_KEY": "sk-x", "VOICEPOD_ENGINE": "Dialog", "VOICEPOD_TTS": "espeak"})
    assert (p.engine, p.tts) == ("dialog", "espeak")
    with pytest.raises(SystemExit, match="VOICEPOD_STT='google'"):
        ProviderSettings.from_env({"VOICEPOD_STT": "google"})
    with pytest.raises(SystemExit, match="needs DEEPGRAM_API_KEY"):
        ProviderSettings.from_env({"VOICEPOD_STT": "deepgram"}).check()
    with pytest.raises(SystemExit, match="needs OPENAI_API_KEY"):
        ProviderSettings.from_env({"VOICEPOD_ENGINE": "realtime"}).check()


def test_a_realtime_engine_that_hears_audio_needs_no_stt_of_ours() -> None:
    env = {"OPENAI_API_KEY": "sk-x", "VOICEPOD_ENGINE": "realtime", "VOICEPOD_REALTIME_INPUT": "audio"}
    assert ProviderSettings.from_env(env).stt == "none"
    assert ProviderSettings.from_env({**env, "VOICEPOD_STT": "whisper"}).stt == "whisper"
    assert ProviderSettings.from_env({**env, "VOICEPOD_REALTIME_INPUT": "text"}).stt == "whisper"


def test_what_deepgram_is_sent_and_who_ends_turns() -> None:
    dg = {"DEEPGRAM_API_KEY": "dg"}
    p = ProviderSettings.from_env(dg)
    assert (p.stt_audio, p.turns) == ("opus", "local")
    p = ProviderSettings.from_env({**dg, "VOICEPOD_STT_AUDIO": "PCM", "VOICEPOD_TURNS": "provider"})
    assert (p.stt_audio, p.turns) == ("pcm", "provider")
    p.check()
    with pytest.raises(SystemExit, match="VOICEPOD_STT_AUDIO='mp3'"):
        ProviderSettings.from_env({**dg, "VOICEPOD_STT_AUDIO": "mp3"})
    # Whisper transcribes turns our VAD ended: it cannot end them itself.
    with pytest.raises(SystemExit, match="VOICEPOD_TURNS=provider needs a streaming STT"):
        ProviderSettings.from_env({"VOICEPOD_TURNS": "provider"}).check()


def test_cloud_voices_send_opus_unless_told_pcm() -> None:
    from gateway.providers.choose import choose_tts

    for env, opus in (({}, True), ({"VOICEPOD_TTS_AUDIO": "pcm"}, False)):
        for key, name in (("DEEPGRAM_API_KEY", "deepgram"), ("OPENAI_API_KEY", "openai")):
            p = ProviderSettings.from_env({key: "k", "VOICEPOD_TTS": name, **env})
            assert p.tts_audio == ("opus" if opus else "pcm")
            voice = choose_tts(p)
            assert voice.primary.opus is opus  # type: ignore[attr-defined]  # FallbackTTS(cloud, piper)
    with pytest.raises(SystemExit, match="VOICEPOD_TTS_AUDIO='wav'"):
        ProviderSettings.from_env({"VOICEPOD_TTS_AUDIO": "wav"})


def test_whisper_decodes_while_the_caller_speaks_unless_told_off() -> None:
    from gateway.providers.choose import choose_stt
    from gateway.providers.stt import PerTurnSession
    from gateway.providers.stt.incremental import IncrementalSession

    on = {"VOICEPOD_STT_INCREMENTAL": "on"}
    off = {"VOICEPOD_STT_INCREMENTAL": "OFF", "VOICEPOD_WHISPER_MODEL": "tiny.en"}
    for env, session in ((on, IncrementalSession), (off, PerTurnSession)):
        stt = choose_stt(ProviderSettings.from_env(env))
        assert stt is not None and isinstance(stt.open(), session)
    with pytest.raises(SystemExit, match="VOICEPOD_STT_INCREMENTAL='maybe'"):
        ProviderSettings.from_env({"VOICEPOD_STT_INCREMENTAL": "maybe"})
