"""Silero VAD (v6) on onnxruntime, streaming: speech probability per 32 ms window.

The model is the ONNX file faster-whisper ships in its package (no torch, no hub
download); it is checked against a pinned SHA-256 before use. One inference
session is shared by every call in the process (onnxruntime sessions are
thread-safe and the model is stateless apart from the h/c state we carry).

Windows quieter than QUIET_DBFS (digital silence, a muted or echo-cancelled microphone,
a phone line's comfort noise) are not run through the model: a caller listening to the
agent costs no inference. Speech is tens of dB louder; its softest onsets still pass.

After a quiet (and at a call's start) the model starts afresh from the state it has after hearing
a short silence (`quiet_state`), not from zeros. From zeros it is unsure of a word's start: a phone
line's 8 kHz "yes" peaked at 0.6-0.8 and, at some offsets, was at or above the onset threshold
(0.5) for less than the onset's 100 ms, so it was never a turn (a phone caller's short answer went
unheard; wideband speech is sure enough from its first window). After a short silence the same
word peaks at 0.85-0.9 (tests/unit/test_vad.py). Nor is the quiet run through the model as it
goes: over seconds of silence its state drifts (after 400 windows, ~13 s, short words were
missed again), so the state is the same whatever the quiet's length.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime

from gateway.media.onnx_cpu import hash_checked_session
from gateway.media.pcm import Pcm

MODEL_SHA256 = "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"
WINDOW = 512  # samples at 16 kHz: 32 ms
CONTEXT = 64  # samples of the previous window the model also sees
QUIET_DBFS = -60.0
_QUIET_POWER = (10 ** (QUIET_DBFS / 20)) ** 2  # mean square of a window at that level (full scale 1.0)
# After this many quiet windows (~0.25 s) the model starts afresh at the next sound, as at the
# start of a call, rather than from the state it had before the quiet.
RESET_AFTER_QUIET = 8
# The fresh state: the model's after this many windows of digital silence (from zeros). Any of 4
# to 100 did in a sweep (a phone line's "yes", "no", "nope" and "yes please", three syntheses each
# at ten offsets: every one an onset); 0 (zeros) or 400 did not.
QUIET_WINDOWS = RESET_AFTER_QUIET


def model_path() -> Path:
    return Path(str(resources.files("faster_whisper") / "assets" / "silero_vad_v6.onnx"))


def _session(path: Path) -> onnxruntime.InferenceSession:
    return hash_checked_session(path, MODEL_SHA256, "VAD model")


State = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]  # the model's h and c


@functools.cache  # sessions are opened once per process (gateway/media/onnx_cpu.py): so is this
def quiet_state(session: onnxruntime.InferenceSession) -> State:
    """The model's state after QUIET_WINDOWS windows of silence: where it starts, at a call's start
    and after every quiet (callers copy it)."""
    h = np.zeros((1, 1, 128), dtype=np.float32)
    c = np.zeros((1, 1, 128), dtype=np.float32)
    silence = np.zeros((1, CONTEXT + WINDOW), dtype=np.float32)
    for _ in range(QUIET_WINDOWS):
        _, h, c = session.run(None, {"input": silence, "h": h, "c": c})
    return np.asarray(h, dtype=np.float32), np.asarray(c, dtype=np.float32)


class VadStream:
    """One call's VAD state. push() takes 16 kHz int16 audio of any length."""

    def __init__(self, path: Path | None = None) -> None:
        self._session = _session(path or model_path())
        self._fresh = quiet_state(self._session)
        self._h, self._c = self._fresh[0].copy(), self._fresh[1].copy()
        self._window = np.zeros(CONTEXT + WINDOW, dtype=np.float32)
        self._filled = 0
        self.probability = 0.0  # of the last complete window
        self.inferences = 0  # windows run through the model (for tests and benchmarks)
        self._quiet_windows = 0

    def push(self, pcm: Pcm) -> float:
        """Feed audio; returns the speech probability of the latest complete window."""
        samples = pcm.astype(np.float32) / 32768.0
        while len(samples):
            take = min(WINDOW - self._filled, len(samples))
            self._window[CONTEXT + self._filled : CONTEXT + self._filled + take] = samples[:take]
            self._filled += take
            samples = samples[take:]
            if self._filled == WINDOW:
                self._judge_window()
                self._window[:CONTEXT] = self._window[-CONTEXT:]
                self._filled = 0
        return self.probability

    def _judge_window(self) -> None:
        window = self._window[CONTEXT:]
        if float(np.dot(window, window)) / WINDOW < _QUIET_POWER:
            self.probability = 0.0
            self._quiet_windows += 1
            if self._quiet_windows == RESET_AFTER_QUIET:
                self._h, self._c = self._fresh[0].copy(), self._fresh[1].copy()
            return
        self._quiet_windows = 0
        out, self._h, self._c = self._session.run(
            None, {"input": self._window[np.newaxis, :], "h": self._h, "c": self._c}
        )
        self.inferences += 1
        self.probability = float(np.asarray(out).reshape(-1)[0])
