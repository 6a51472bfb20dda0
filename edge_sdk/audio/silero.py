"""Silero VAD v6.2 (MIT) on ONNX Runtime: the default frame scorer of the segmenter (32 ms frames).

The model file is ``silero_vad_16k_sequence.onnx`` of the ``silero-vad==6.2.3`` wheel (shipped as
``tflite_models/silero-vad-v6.2.onnx``, sha256 in the manifest): input ``(frames, 576)`` = each 512-sample
frame with the 64 samples before it, LSTM state ``h``/``c`` (1, 1, 128) in and out, one speech probability per
frame. Its probabilities equal the official ``silero_vad.onnx`` run frame by frame (tests/test_vad.py, on
real speech). Measured here (1 thread): ~128x real time on a whole file, 0.39 ms per frame when streamed.
:class:`SileroModel` is a :class:`~edge_sdk.audio.segmenter.FrameScorer`; the utterances come from
:class:`~edge_sdk.audio.segmenter.UtteranceSegmenter`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._native import quiet_stderr
from ..errors import BackendUnavailableError, ModelIntegrityError
from ..models import ResolvedModel, resolve_model

__all__ = ["FRAME", "CONTEXT", "SileroModel", "speech_probabilities"]

FRAME = 512  # samples per decision (32 ms at 16 kHz)
CONTEXT = 64  # samples of the previous frame the model sees with each frame
_INPUTS = {"input": [None, FRAME + CONTEXT], "h": [1, 1, 128], "c": [1, 1, 128]}


@functools.lru_cache(maxsize=4)
def _session(path: str, sha256: str) -> Any:
    """One ONNX Runtime session per verified file (stateless: the LSTM state is passed in each call)."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise BackendUnavailableError(f"the Silero VAD needs `pip install edge-sdk[asr]` (onnxruntime): {e}") from e
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    opts.log_severity_level = 4
    try:
        with quiet_stderr():
            sess = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise ModelIntegrityError(f"{path}: not a loadable ONNX model ({type(e).__name__}: {e}); "
                                  "reinstall the package or rebuild with `python -m conversion.build silero-vad-v6.2`") from e
    got = {i.name: [d if isinstance(d, int) else None for d in i.shape] for i in sess.get_inputs()}
    if got != _INPUTS:
        raise ModelIntegrityError(f"{path}: expected a Silero sequence model with inputs {_INPUTS}, got {got}")
    return sess


class SileroModel:
    """Streaming speech probabilities (a frame scorer). :meth:`__call__` takes whole frames; state carries
    across calls.

    Args:
        model: manifest name or path of the ONNX file; ``sha256``: expected digest for a path.
    """

    frame = FRAME

    def __init__(self, model: str = "silero-vad-v6.2", sha256: str | None = None) -> None:
        self.model: ResolvedModel = resolve_model(model, expected_sha256=sha256, task="vad")
        self._sess = _session(str(self.model.path), self.model.sha256)
        self.reset()

    def reset(self) -> None:
        """Start a new stream (zero LSTM state, silent context)."""
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._ctx = np.zeros(CONTEXT, np.float32)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(n, 512) float32 frames of 16 kHz audio -> (n,) speech probabilities in [0, 1]."""
        f = np.asarray(frames, np.float32).reshape(-1, FRAME)
        if f.shape[0] == 0:
            return np.zeros(0, np.float32)
        prev = np.concatenate([self._ctx[None], f[:-1, -CONTEXT:]])
        x = np.ascontiguousarray(np.concatenate([prev, f], axis=1))
        p, self._h, self._c = self._sess.run(None, {"input": x, "h": self._h, "c": self._c})
        self._ctx = f[-1, -CONTEXT:].copy()
        return np.asarray(p, np.float32).reshape(-1)


def speech_probabilities(audio16k: np.ndarray, model: SileroModel | None = None) -> np.ndarray:
    """Probabilities of each whole 512-sample frame of a recording (a new stream; a partial last frame is zero-padded)."""
    m = model or SileroModel()
    m.reset()
    x = np.asarray(audio16k, np.float32).ravel()
    x = np.pad(x, (0, -x.size % FRAME))
    return m(x.reshape(-1, FRAME))
