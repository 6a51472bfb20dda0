"""New action classes from a few clips, on the frozen Kinetics-600 stream (numpy only, no TensorFlow).

``DIR/<label>/*.mp4`` -> each clip streamed through the official int8 MoViNet-A0 file exactly as the
action stage feeds it (frames picked at the model's 5 fps, centre square, states carried, pools bounded)
-> the pooled embedding after every model frame -> :func:`~edge_sdk.action.head.fit_head` -> an .npz in
``<cache>/models`` and a user-manifest entry that names the frozen file plus the head, so
``ActionOptions(asset=ModelAsset(NAME))`` / ``--action NAME`` runs it with everything the stage has
(events, ``actions`` subsets, per-person streams).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..config import DEFAULT_ACTION_MODEL, ActionOptions, ModelAsset
from ..errors import ConfigError, ModelLoadError
from ..models import _NAME as NAME_RE
from ..models import ModelEntry, cache_dir, load_manifest, sha256_file, shipped_dir, user_manifest_path, write_entry
from ..safe_write import atomic_write_text, dumps_strict
from .head import ActionHead, fit_head
from .preprocess import to_model_rgb
from .sampler import FrameSampler

__all__ = ["VIDEO_SUFFIXES", "LabelledClips", "ClipFeatures", "find_clips", "open_base", "stream_features",
           "video_features", "cross_validate", "FinetuneResult", "finetune_kinetics"]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


@dataclass(frozen=True)
class LabelledClips:
    """``labels`` (sorted directory names) and ``clips``: (path, label index), sorted by path."""

    labels: tuple[str, ...]
    clips: tuple[tuple[Path, int], ...]


def find_clips(data: str | os.PathLike) -> LabelledClips:
    """The clips of ``DIR/<label>/*.{mp4,avi,mov,mkv,webm,...}``; :class:`ConfigError` when DIR is not a
    directory, has fewer than 2 label directories, or a label directory holds no video file."""
    root = Path(data)
    if not root.is_dir():
        raise ConfigError(f"--data {root}: not a directory (expected DIR/<label>/*.mp4)")
    labels = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if len(labels) < 2:
        raise ConfigError(f"{root}: expected one sub-directory per class with its clips (DIR/<label>/*.mp4), "
                          f"at least 2 classes; found {len(labels)}{': ' + labels[0] if labels else ''}")
    clips = []
    for y, name in enumerate(labels):
        files = sorted(f for f in (root / name).iterdir()
                       if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in VIDEO_SUFFIXES)
        if not files:
            raise ConfigError(f"{root / name}: no video clips (expected files ending in {', '.join(VIDEO_SUFFIXES)})")
        clips += [(f, y) for f in files]
    return LabelledClips(labels, tuple(clips))


@dataclass(frozen=True)
class ClipFeatures:
    """One clip streamed through the frozen model: after each model frame, the pooled ``embedding``
    (T, D) the head reads and the file's own ``logits`` (T, 600)."""

    embedding: np.ndarray
    logits: np.ndarray


def open_base(base: str = DEFAULT_ACTION_MODEL, num_threads: int | None = 1, runtime: str = "auto", **options: Any):
    """The frozen stream model the action stage runs (``options``: more :class:`ActionOptions` fields)."""
    from .movinet_stream import MovinetActionBackend

    backend = MovinetActionBackend(ActionOptions(asset=ModelAsset(base, None, num_threads, runtime), **options))
    if backend.head is not None or backend.stream.embedding_dim is None:
        raise ModelLoadError(f"{base}: fine-tuning needs an official MoViNet stream file (a float head pool "
                             "state to read the embedding from), not a split export or an already fine-tuned model")
    return backend


def stream_features(backend: Any, frames: Iterable[tuple[float | None, np.ndarray]]) -> ClipFeatures:
    """Run one new stream over ``(t_s, BGR frame)`` pairs: frames picked at the model's rate (t_s None:
    every frame is a model frame), centre square as in the stage. At least one frame."""
    backend.reset()
    size = backend.input_size
    rgb, scratch = np.zeros((size, size, 3), np.uint8), {}
    emb, logits = [], []
    due = FrameSampler(backend.fps)  # as the stage picks them (no cut detection: a training clip is one stream)
    for t, frame in frames:
        if not due(t):
            continue
        logits.append(backend.stream.step(to_model_rgb(frame, size, "center", rgb, scratch)).copy())
        emb.append(backend.stream.embedding())
    backend.reset()
    if not emb:
        raise ConfigError("a clip without frames")
    return ClipFeatures(np.stack(emb), np.stack(logits))


def video_features(backend: Any, path: str | os.PathLike) -> ClipFeatures:
    """:func:`stream_features` of a video file (:class:`~edge_sdk.errors.SourceError` if it cannot be decoded)."""
    from ..video.sources import VideoFileSource

    with VideoFileSource(path) as src:
        return stream_features(backend, ((t, f) for _, t, f in src))


def cross_validate(features: Sequence[np.ndarray], targets: Sequence[int], labels: Sequence[str],
                   fit: Callable[..., ActionHead] = fit_head, folds: int = 10) -> list[int | None]:
    """For each clip, the class that a head trained without its fold gives it after its last model frame
    (None where leaving the fold out would leave a class without clips). Up to ``folds`` clips: one clip
    per fold (leave-one-clip-out); more: each class's clips dealt round the folds in turn."""
    n = len(features)
    k = min(n, folds)
    fold_of = [0] * n
    for r, i in enumerate(sorted(range(n), key=lambda i: targets[i])):
        fold_of[i] = r % k
    out: list[int | None] = [None] * n
    for f in range(k):
        rest = [j for j in range(n) if fold_of[j] != f]
        if len({targets[j] for j in rest}) < len(labels):
            continue
        head = fit([features[j] for j in rest], [targets[j] for j in rest], labels)
        for i in range(n):
            if fold_of[i] == f:
                out[i] = int(np.argmax(head.logits(features[i][-1])))
    return out


@dataclass(frozen=True)
class FinetuneResult:
    """What :func:`finetune_kinetics` made: the manifest ``name``, the head file, the report."""

    name: str
    head_path: Path
    report: dict = field(default_factory=dict)


def finetune_kinetics(data: str | os.PathLike, name: str, *, base: str = DEFAULT_ACTION_MODEL, l2: float = 1e-2,
                      steps: int = 400, num_threads: int | None = 1, register: bool = True,
                      progress: Callable[[int, int], None] | None = None) -> FinetuneResult:
    """Train a head for ``DIR/<label>/*.mp4`` on the frozen ``base`` stream and register it as ``name``.

    Writes ``<cache>/models/<name>-head.npz`` and ``<name>-report.json`` and (``register``) the user
    manifest entry ``name``: the base file (its own sha256) + ``params.head`` / ``head_sha256``. The
    report holds every clip's frame count and the cross-validated accuracy (each clip judged by a head
    trained without it: :func:`cross_validate`). Raises :class:`ConfigError` for a bad data layout or name,
    :class:`~edge_sdk.errors.SourceError` for a video that cannot be decoded.
    """
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ConfigError(f"--name {name!r}: a model name is letters, digits, '.', '_', '-' (at most 128)")
    if name in load_manifest(shipped_dir() / "manifest.json"):
        raise ConfigError(f"--name {name!r} is a shipped model; choose another name")
    found = find_clips(data)
    backend = open_base(base, num_threads)
    try:
        if backend.model.entry is None:
            raise ConfigError(f"--base {base}: name a model of the manifest (edge-sdk models list), not a file path")
        feats = []
        for i, (path, _) in enumerate(found.clips):
            feats.append(video_features(backend, path))
            if progress is not None:
                progress(i + 1, len(found.clips))
        base_model, fps = backend.model, backend.fps
    finally:
        backend.close()
    emb = [f.embedding for f in feats]
    targets = [y for _, y in found.clips]

    def fit(x, y, labels):
        return fit_head(x, y, labels, l2=l2, steps=steps, base_sha256=base_model.sha256)

    cv = cross_validate(emb, targets, found.labels, fit)
    judged = [(p, y) for p, y in zip(cv, targets) if p is not None]
    head = fit(emb, targets, found.labels)
    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    head_path = head.save(models / f"{name}-head.npz")
    report = {
        "name": name, "base": base_model.name, "base_sha256": base_model.sha256, "labels": list(found.labels),
        "feature": f"pooled embedding ({head.dim} values) after each model frame at {fps} fps",
        "l2": l2, "steps": steps,
        "clips": [{"path": str(p), "label": found.labels[y], "model_frames": len(f.embedding)}
                  for (p, y), f in zip(found.clips, feats)],
        "cross_validation": {"folds": min(len(emb), 10), "judged": len(judged), "correct": sum(p == y for p, y in judged),
                          "accuracy": round(sum(p == y for p, y in judged) / len(judged), 4) if judged else None,
                          "chance": round(1 / len(found.labels), 4)},
        "head": str(head_path), "head_sha256": sha256_file(head_path),
    }
    atomic_write_text(models / f"{name}-report.json", dumps_strict(report, indent=1) + "\n")
    if register:
        register_head(name, base_model, head_path, report["head_sha256"], fps, str(data))
    return FinetuneResult(name, head_path, report)


def register_head(name: str, base: Any, head_path: Path, head_sha256: str, fps: float | None, data: str) -> Path:
    """User-manifest entry ``name``: ``base``'s file and sha256 plus ``params.head`` (+ its sha256)."""
    entry = base.entry
    params = dict(entry.params)
    params.pop("labels", None)
    params.pop("license_file", None)
    params.update({"base": base.name, "head": head_path.name, "head_sha256": head_sha256, "fps": fps})
    write_entry(user_manifest_path(), ModelEntry(
        name=name, task="action", precision=entry.precision, file=entry.file,
        sha256=base.sha256, size=base.path.stat().st_size, shipped=False,
        source=f"head trained on {data} over {base.name} (frozen)",
        build="edge-sdk models finetune-action", license=entry.license, params=params))
    return user_manifest_path()
