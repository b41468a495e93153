"""Whisper-style log-mel features in numpy: what the Smart Turn end-of-turn model reads.

The same arithmetic as `transformers.WhisperFeatureExtractor` (Apache-2.0) with Smart Turn's
settings, as the pipecat-ai package vendors it (`pipecat/audio/turn/smart_turn/_whisper_features.py`):
8 s at 16 kHz, the waveform normalised to zero mean and unit variance, a centred 400-point
periodic-Hann STFT every 160 samples, an 80-band Slaney mel filterbank, log10 clamped to
8 decades below the peak and scaled to about [-1, 1]. Reproduced here so the gateway needs
neither transformers nor pipecat at run time; ~5 ms for one 8 s window.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

RATE = 16_000
SECONDS = 8
SAMPLES = RATE * SECONDS  # the model's fixed window: 128,000 samples
N_FFT = 400
HOP = 160
N_MELS = 80
FRAMES = SAMPLES // HOP  # 800


def _hz_to_mel(hz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Slaney's scale: linear below 1 kHz, logarithmic above."""
    mel = 3.0 * hz / 200.0
    log_region = hz >= 1000.0
    mel[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) * (27.0 / np.log(6.4))
    return mel


def _mel_to_hz(mel: NDArray[np.float64]) -> NDArray[np.float64]:
    hz = 200.0 * mel / 3.0
    log_region = mel >= 15.0
    hz[log_region] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_region] - 15.0))
    return hz


def _mel_filters() -> NDArray[np.float64]:
    """(N_FFT // 2 + 1, N_MELS) triangles with Slaney area normalisation, 0 Hz to Nyquist."""
    edges = _mel_to_hz(np.linspace(0.0, float(_hz_to_mel(np.array([RATE / 2.0]))[0]), N_MELS + 2))
    bins = np.linspace(0, RATE // 2, N_FFT // 2 + 1)
    slopes = edges[np.newaxis, :] - bins[:, np.newaxis]
    widths = np.diff(edges)
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    triangles = np.maximum(0.0, np.minimum(down, up))
    return triangles * (2.0 / (edges[2 : N_MELS + 2] - edges[:N_MELS]))[np.newaxis, :]


_WINDOW = np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as torch.hann_window
_FILTERS_T = _mel_filters().T.copy()


def log_mel(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """(N_MELS, FRAMES) features of exactly SAMPLES float samples in [-1, 1]."""
    if audio.shape != (SAMPLES,):
        raise ValueError(f"expected {SAMPLES} samples (8 s at 16 kHz), got shape {audio.shape}")
    x = audio.astype(np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    frames = sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2
    mel = np.log10(np.maximum(1e-10, _FILTERS_T @ power.T))[:, :-1]  # the last frame is dropped
    mel = np.maximum(mel, mel.max() - 8.0)
    features: NDArray[np.float32] = ((mel + 4.0) / 4.0).astype(np.float32)
    return features
