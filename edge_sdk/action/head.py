"""A small classifier trained on a frozen stream model's pooled embedding (numpy only).

The Kinetics-600 MoViNet stream keeps the running mean of its last block's 480 channels as a state
(``state_head_pool_buffer`` / ``state_head_pool_frame_count``): that mean is exactly what the file's
own classifier reads. An :class:`ActionHead` is a multinomial logistic regression on it, so new classes
are learnt from a few clips without TensorFlow and run on the same frozen int8 file.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError, ModelIntegrityError, ModelNotFoundError
from ..models import sha256_file
from ..safe_write import atomic_write_bytes

__all__ = ["ActionHead", "fit_head", "load_head", "HEAD_FORMAT"]

HEAD_FORMAT = 1  # version of the .npz layout below


@dataclass(frozen=True)
class ActionHead:
    """``softmax(((x - mean) / scale) @ weights + bias)`` over ``labels``.

    Attributes:
        labels: class names, in output order (C).
        mean, scale: (D,) float32 standardisation of the embedding (from the training clips).
        weights: (D, C) float32.
        bias: (C,) float32.
        feature: which stream output it reads (``head_pool``: the pooled embedding).
        base_sha256: sha256 of the stream file the embedding came from.
    """

    labels: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    feature: str = "head_pool"
    base_sha256: str = ""

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0])

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(D,) or (N, D) embedding -> (C,) or (N, C) float32 logits."""
        z = (np.asarray(x, np.float32) - self.mean) / self.scale
        return z @ self.weights + self.bias

    def save(self, path: str | os.PathLike) -> Path:
        """Write the head as an .npz (no pickled objects), atomically."""
        buf = io.BytesIO()
        np.savez(buf, format=np.int32(HEAD_FORMAT), labels=np.asarray(self.labels, dtype=str), mean=self.mean,
                 scale=self.scale, weights=self.weights, bias=self.bias, feature=np.asarray(self.feature),
                 base_sha256=np.asarray(self.base_sha256))
        return atomic_write_bytes(path, buf.getvalue())


def load_head(path: str | os.PathLike, expected_sha256: str | None = None) -> ActionHead:
    """Read a head written by :meth:`ActionHead.save`, checking its sha256 and array shapes."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"action head {path} not found (train it with `edge-sdk models finetune-action`)")
    if expected_sha256 is not None:
        digest = sha256_file(path)
        if digest != expected_sha256.lower():
            raise ModelIntegrityError(f"{path}: sha256 mismatch, expected {expected_sha256}, actual {digest}")
    try:
        with np.load(path, allow_pickle=False) as z:
            fmt = int(z["format"])
            labels = tuple(str(s) for s in z["labels"])
            mean, scale = z["mean"].astype(np.float32), z["scale"].astype(np.float32)
            weights, bias = z["weights"].astype(np.float32), z["bias"].astype(np.float32)
            feature, base = str(z["feature"]), str(z["base_sha256"])
    except (OSError, ValueError, KeyError) as e:
        raise ModelIntegrityError(f"{path}: not an action head .npz ({e})") from None
    d, c = weights.shape if weights.ndim == 2 else (0, 0)
    if fmt != HEAD_FORMAT or not d or mean.shape != (d,) or scale.shape != (d,) or bias.shape != (c,) \
            or len(labels) != c or not np.all(scale > 0) or not all(np.isfinite(a).all() for a in (mean, weights, bias)):
        raise ModelIntegrityError(f"{path}: inconsistent action head (format {fmt}, weights {weights.shape}, "
                                  f"{len(labels)} labels)")
    return ActionHead(labels, mean, scale, weights, bias, feature, base)


def fit_head(features: Sequence[np.ndarray], targets: Sequence[int], labels: Sequence[str], *,
             l2: float = 1e-2, steps: int = 400, lr: float = 0.05, feature: str = "head_pool",
             base_sha256: str = "") -> ActionHead:
    """Multinomial logistic regression on per-model-frame embeddings, deterministic.

    Args:
        features: one (T_i, D) array per training clip (its embedding after each model frame).
        targets: the class index of each clip.
        labels: the C class names.
        l2: weight decay on the standardised features (mean loss + l2/2 |W|^2).
        steps, lr: full-batch Adam.
    Every clip weighs the same whatever its length, and every class the same whatever its clip count.
    """
    if len(features) != len(targets) or not features:
        raise ConfigError("fit_head needs one target per clip and at least one clip")
    c = len(labels)
    counts = np.bincount(np.asarray(targets), minlength=c)
    if (counts == 0).any() or c < 2:
        raise ConfigError(f"fit_head needs clips of at least 2 classes, every class present; counts {counts.tolist()}")
    x = np.concatenate([np.asarray(f, np.float64) for f in features])
    y = np.concatenate([np.full(len(f), t) for f, t in zip(features, targets)])
    w_s = np.concatenate([np.full(len(f), 1.0 / (len(f) * counts[t] * c)) for f, t in zip(features, targets)])
    mean = x.mean(0)
    std = x.std(0)
    scale = np.where(std > 1e-6, std, 1.0)
    z = (x - mean) / scale
    onehot = np.eye(c)[y]
    d = z.shape[1]
    params = [np.zeros((d, c)), np.zeros(c)]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    b1, b2 = 0.9, 0.999
    for t in range(1, steps + 1):
        logit = z @ params[0] + params[1]
        logit -= logit.max(1, keepdims=True)
        p = np.exp(logit)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) * w_s[:, None]
        grads = [z.T @ g + l2 * params[0], g.sum(0)]
        for i, gr in enumerate(grads):
            m1[i] = b1 * m1[i] + (1 - b1) * gr
            m2[i] = b2 * m2[i] + (1 - b2) * gr * gr
            params[i] -= lr * (m1[i] / (1 - b1 ** t)) / (np.sqrt(m2[i] / (1 - b2 ** t)) + 1e-8)
    return ActionHead(tuple(labels), mean.astype(np.float32), scale.astype(np.float32),
                      params[0].astype(np.float32), params[1].astype(np.float32), feature, base_sha256)
