"""Silero VAD v6.2 (MIT) on ONNX Runtime, streaming on 32 ms frames, and the utterance segmenter built on it.

The model file is ``silero_vad_16k_sequence.onnx`` of the ``silero-vad==6.2.3`` wheel (shipped as
``tflite_models/silero-vad-v6.2.onnx``, sha256 in the manifest): input ``(frames, 576)`` = each 512-sample
frame with the 64 samples before it, LSTM state ``h``/``c`` (1, 1, 128) in and out, one speech probability per
frame. Its probabilities equal the official ``silero_vad.onnx`` run frame by frame (tests/test_vad.py, on
real speech). Measured here (1 thread): ~128x real time on a whole file, 0.39 ms per frame when streamed.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._native import quiet_stderr
from ..config import VadOptions
from ..errors import BackendUnavailableError, ModelIntegrityError
from ..models import ResolvedModel, resolve_model
from .signal import SAMPLE_RATE
from .utterance import Utterance

__all__ = ["FRAME", "CONTEXT", "SileroModel", "SileroSegmenter", "speech_probabilities"]

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
    """Streaming speech probabilities. :meth:`__call__` takes whole frames; state carries across calls.

    Args:
        model: manifest name or path of the ONNX file; ``sha256``: expected digest for a path.
    """

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


class SileroSegmenter:
    """Silero probabilities -> utterances that keep every word (see :class:`~edge_sdk.audio.vad.VadOptions`).

    A frame >= ``threshold`` opens (or continues) speech; one below ``neg_threshold`` starts a silence run
    (frames in between continue what was). ``hangover_s`` of silence ends the utterance, cut
    ``post_roll_s`` after the last speech frame and started ``pre_roll_s`` before the first. Speech that
    reaches ``max_utterance_s`` is split at the least speech-like frame of its second half; the rest
    continues as the next utterance. With ``early_s``, :meth:`take_tentative` hands out the open
    utterance once per pause of that length (same ``start_s`` and ``speech_end_s`` as the utterance
    that pause will close, if no speech follows).
    """

    def __init__(self, options: VadOptions, t0_s: float = 0.0) -> None:
        o = self.options = options
        self.t0_s = float(t0_s)
        self.model = SileroModel(o.model, o.model_sha256)
        fps = SAMPLE_RATE / FRAME
        self._hang = max(1, round(o.hangover_s * fps))
        self._min_speech = max(1, round(o.min_speech_s * fps))
        self._pre, self._post = round(o.pre_roll_s * fps), round(o.post_roll_s * fps)
        self._max = int(o.max_utterance_s * fps)
        self._early = max(1, round(o.early_s * fps)) if o.early_s is not None else None
        self._tentative: Utterance | None = None
        self._rest = np.zeros(0, np.float32)
        self._n = 0  # frames consumed
        self._history: list[np.ndarray] = []  # recent frames while no utterance is open (pre-roll)
        self._frames: list[np.ndarray] = []  # the open utterance, pre-roll included
        self._probs: list[float] = []
        self._start = 0  # frame index of self._frames[0]
        self._last_speech = -1  # index in self._frames of the last speech frame
        self._speech = self._silence = 0

    def push(self, chunk: np.ndarray) -> list[Utterance]:
        """Feed 16 kHz mono float32 samples (any count); returns the utterances that ended within them."""
        x = np.concatenate([self._rest, np.asarray(chunk, np.float32).ravel()])
        n = x.size // FRAME
        self._rest = x[n * FRAME:]
        if n == 0:
            return []
        frames = x[: n * FRAME].reshape(n, FRAME)
        out = []
        for frame, p in zip(frames, self.model(frames)):
            u = self._step(frame, float(p))
            if u is not None:
                out.append(u)
        return out

    def flush(self) -> list[Utterance]:
        """End of stream: the open utterance (with the post-roll there is), if it holds enough speech."""
        u = self._cut(self._last_speech + 1 + self._post) if self._frames else None
        self._frames, self._probs, self._history, self._tentative = [], [], [], None
        return [u] if u is not None else []

    def take_tentative(self) -> Utterance | None:
        """The open utterance as it stood when its latest pause reached ``early_s`` (once; None if none)."""
        u, self._tentative = self._tentative, None
        return u

    def _step(self, frame: np.ndarray, p: float) -> Utterance | None:
        o = self.options
        idx, self._n = self._n, self._n + 1
        if not self._frames:
            self._history.append(frame)
            del self._history[: -(self._pre + 1)]
            if p >= o.threshold:
                self._frames, self._probs = list(self._history), [0.0] * (len(self._history) - 1) + [p]
                self._start, self._history = idx + 1 - len(self._frames), []
                self._last_speech, self._speech, self._silence = len(self._frames) - 1, 1, 0
            return None
        self._frames.append(frame)
        self._probs.append(p)
        if p >= o.threshold or (p >= o.neg_threshold and self._silence == 0):
            self._last_speech, self._silence = len(self._frames) - 1, 0
            self._speech += 1
        else:
            self._silence += 1
            if self._silence == self._early and self._speech >= self._min_speech:
                self._tentative = self._utterance(len(self._frames))
        if self._silence >= self._hang:
            return self._cut(self._last_speech + 1 + self._post)
        if len(self._frames) >= self._max:
            half = len(self._probs) // 2
            p_half = np.convolve(self._probs[half:], np.ones(3) / 3, mode="same")  # a pause, not one odd frame
            return self._cut(half + int(np.argmin(p_half)) + 1, carry=True)
        return None

    def _cut(self, keep: int, carry: bool = False) -> Utterance | None:
        """Close the open utterance after ``keep`` frames; ``carry``: the rest opens the next one."""
        keep = min(keep, len(self._frames))
        u = self._utterance(keep) if self._speech >= self._min_speech and keep > 0 else None
        rest, rest_p = self._frames[keep:], self._probs[keep:]
        if carry and rest:
            self._frames, self._probs, self._start = rest, rest_p, self._start + keep
            self._last_speech, self._speech, self._silence = len(rest) - 1, len(rest), 0
        else:
            self._frames, self._probs, self._history = [], [], rest[-(self._pre + 1):] if self._pre else []
        return u

    def _utterance(self, keep: int) -> Utterance:
        """The first ``keep`` frames of the open utterance."""
        audio = np.concatenate(self._frames[:keep])
        start = self.t0_s + self._start * FRAME / SAMPLE_RATE
        speech_end = start + min(keep, self._last_speech + 1) * FRAME / SAMPLE_RATE
        return Utterance(start, start + audio.size / SAMPLE_RATE, audio, speech_end)
