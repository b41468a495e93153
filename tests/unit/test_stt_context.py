"""The dialog's expectation reaches the STT per turn; whisper weights shipped in parts are joined and pinned."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from gateway.media.pcm import Pcm
from gateway.providers.stt import PerTurnSession, Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.fallback import FallbackSTT
from gateway.providers.stt.whisper_models import WhisperModelFiles
from gateway.providers.stt.whisper_prompt import beams, prompt


class Recorder:
    """A per-turn provider that records the context each turn was transcribed with."""

    name = "recorder"
    takes_opus = False
    detects_turns = False

    def __init__(self, complete: bool = True) -> None:
        self.contexts: list[SpeechContext] = []
        self.complete = complete

    def open(self, on_interim: object = None, *, opus: bool = False) -> PerTurnSession:
        return PerTurnSession(self)

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        self.contexts.append(context)
        return Transcript(text="heard", confidence=1.0, seconds=0.0, complete=self.complete)


def test_session_passes_the_expected_slot_to_each_turn() -> None:
    provider = Recorder()
    session = provider.open()
    audio = np.zeros(160, dtype=np.int16)

    async def turns() -> None:
        await session.turn_ended(audio)
        session.expect(SpeechContext(slot="phone"))
        await session.turn_ended(audio)
        session.expect(SpeechContext(slot="city", phrases=("Austin",)))
        await session.turn_ended(audio)

    asyncio.run(turns())
    assert provider.contexts == [NO_CONTEXT, SpeechContext("phone"), SpeechContext("city", ("Austin",))]


def test_fallback_gives_the_backup_the_same_context() -> None:
    primary, backup = Recorder(complete=False), Recorder()
    session = FallbackSTT(primary, backup).open()
    session.expect(SpeechContext(slot="phone"))
    asyncio.run(session.turn_ended(np.zeros(160, dtype=np.int16)))
    assert primary.contexts == backup.contexts == [SpeechContext("phone")]


def test_unknown_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown slot"):
        SpeechContext(slot="telephone")


def test_prompt_follows_the_slot_and_names_the_phrases() -> None:
    assert prompt(NO_CONTEXT) is None  # no expectation: whisper decodes as it always did
    assert prompt(SpeechContext(phrases=("Austin",))) == "Austin."
    assert "double five" in str(prompt(SpeechContext("phone"))).lower()
    assert prompt(SpeechContext("city", ("Austin", "San Antonio"))) == "Austin, San Antonio."
    assert str(prompt(SpeechContext("city", tuple(f"C{n}" for n in range(100))))).count(",") < 40  # bounded
    assert prompt(SpeechContext("yes_no")) is None  # no prompt that noise could turn into a "yes"
    assert (beams(SpeechContext("phone")), beams(SpeechContext("city")), beams(NO_CONTEXT)) == (5, 1, 1)


def _fake_parts(root: Path, parts: list[bytes]) -> tuple[str, ...]:
    names = []
    for n, data in enumerate(parts, 1):
        package = root / f"fake_whisper_part{n}_{root.name}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"model.bin.part{n}").write_bytes(data)
        if n == 1:
            (package / "data" / "config.json").write_text("{}")
        names.append(package.name)
    return tuple(names)


def test_weights_in_parts_are_joined_once_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    parts = [b"first half of the weights|", b"second half"]
    packages = _fake_parts(tmp_path, parts)
    model = WhisperModelFiles("fake", hashlib.sha256(b"".join(parts)).hexdigest(), packages, multilingual=True)
    folder = model.directory(tmp_path / "cache")
    assert (folder / "model.bin").read_bytes() == b"".join(parts)
    assert (folder / "config.json").exists()
    assert model.directory(tmp_path / "cache") == folder  # the second load finds it joined
    for name in packages:
        sys.modules.pop(name, None)


def test_weights_with_another_hash_are_refused_and_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    packages = _fake_parts(tmp_path, [b"tampered", b"weights"])
    model = WhisperModelFiles("fake", "0" * 64, packages, multilingual=True)
    with pytest.raises(RuntimeError, match="SHA-256"):
        model.directory(tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("model.bin*"))
    for name in packages:
        sys.modules.pop(name, None)


def test_a_model_whose_package_is_missing_says_which(tmp_path: Path) -> None:
    model = WhisperModelFiles("absent", "0" * 64, ("no_such_whisper_part1", "no_such_whisper_part2"), True)
    with pytest.raises(RuntimeError, match="no-such-whisper-part1"):
        model.directory(tmp_path)


def test_by_slot_sends_phone_numbers_to_the_precise_model() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()  # nothing is loaded until a turn or warm_up
    try:
        assert stt.model_for(SpeechContext("phone")) is stt.precise
        for slot in ("name", "email", "city", "time", "yes_no", "listing", None):
            assert stt.model_for(SpeechContext(slot)) is stt.small
        assert stt.model_for(NO_CONTEXT) is stt.small
    finally:
        stt.close()


class _Heard:
    """A whisper stand-in: says `text` for every turn and remembers the contexts it was asked with."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.contexts: list[SpeechContext] = []

    def transcribe_now(self, audio: object, context: SpeechContext = NO_CONTEXT) -> Transcript:
        self.contexts.append(context)
        return Transcript(text=self.text, confidence=0.5, seconds=0.1)

    def close(self) -> None:
        return None


def test_by_slot_hears_a_number_said_where_something_else_was_asked_again_as_a_number() -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    small, precise = _Heard("No, it's 7 0 4, 5 5, 0 1 4 3"), _Heard("No, it's 704 555 0143")
    stt.small, stt.precise = small, precise  # type: ignore[assignment]
    try:
        heard = stt.transcribe_now(np.zeros(1600, dtype=np.int16), SpeechContext("yes_no"))
        assert precise.contexts == [SpeechContext("phone")] and heard.text == "No, it's 704 555 0143"
        small.text = "yes, that's right"
        assert stt.transcribe_now(np.zeros(1600, dtype=np.int16), SpeechContext("yes_no")).text == small.text
        # a plain yes is heard by base too (whisper_by_slot DOUBLE_HEARD), as a yes, not as a number
        assert precise.contexts[1:] == [SpeechContext("yes_no")]
    finally:
        stt.close()
