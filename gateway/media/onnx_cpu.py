"""One way to open a model file on onnxruntime: hash-checked, one thread, CPU only.

Every ONNX model in the gateway (Silero VAD, the end-of-turn model, the Piper voice) is opened here, once
per process: the file must match its pinned SHA-256 (a swapped or corrupted package fails
loudly instead of judging calls), and each session runs on the calling thread alone (one
intra-op thread), so a call's inference never fans out over the cores other calls need.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import onnxruntime


@functools.cache
def hash_checked_session(path: Path, sha256: str, what: str) -> onnxruntime.InferenceSession:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{path} has SHA-256 {digest}, expected {sha256}: refusing an unknown {what}")
    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"], sess_options=opts)
