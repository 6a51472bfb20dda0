"""Train / fine-tune a MoViNet-A0 stream (ReLU6, no SE) on labelled clips and export it for the SDK.

    python -m conversion.movinet_train --data DIR --name mymodel          # DIR/<label>/*.mp4
    python -m conversion.movinet_train --synthetic --name demo            # temporal motion classes

Writes ``<out>/movinet-a0-<name>-{int8,fp16,classifier}.tflite`` + ``-labels.txt``, evaluates the
int8 model frame by frame through the SDK runtime on held-out clips, and (with ``--register``)
records the files in the user manifest ``<cache>/models/user-manifest.json`` so
``ActionOptions(asset=ModelAsset("movinet-a0-<name>-int8"))`` finds them. Training is seeded and
resumable: an interrupted run continues from ``<out>/.train-<name>/`` at the last finished epoch.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from conversion import motion_dataset
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.safe_write import atomic_path, atomic_write_text

__all__ = ["TrainConfig", "ClipSet", "train", "evaluate_runtime", "finetune", "main"]


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "a0"
    size: int = 64
    frames: int = 12
    batch: int = 8
    epochs: int = 30
    steps_per_epoch: int = 100
    lr: float = 2e-3
    seed: int = 0
    bn_momentum: float = 0.9


class ClipSet:
    """Labelled clips as model-size RGB frames, from ``DIR/<label>/*.{mp4,avi,...}``."""

    def __init__(self, labels: Sequence[str], clips: list[tuple[np.ndarray, int]]):
        self.labels, self.clips = tuple(labels), clips

    @classmethod
    def from_dir(cls, root: Path, size: int) -> "ClipSet":
        import cv2

        labels = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
        if len(labels) < 2:
            raise ValueError(f"{root}: expected one sub-directory per label (at least 2), found {labels}")
        clips = []
        for y, name in enumerate(labels):
            for f in sorted((root / name).iterdir()):
                cap = cv2.VideoCapture(str(f))
                frames = []
                while True:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    frames.append(to_model_rgb(frame, size))
                cap.release()
                if frames:
                    clips.append((np.stack(frames), y))
        if not clips:
            raise ValueError(f"{root}: no readable video clips")
        return cls(labels, clips)

    def split(self, holdout: float, seed: int) -> tuple["ClipSet", "ClipSet"]:
        """Per-label split: about ``holdout`` of each label's clips go to the second set."""
        rng = np.random.default_rng(seed)
        train, test = [], []
        for y in range(len(self.labels)):
            idx = [i for i, (_, yy) in enumerate(self.clips) if yy == y]
            rng.shuffle(idx)
            k = max(1, int(round(len(idx) * holdout))) if len(idx) > 1 else 0
            test += [self.clips[i] for i in idx[:k]]
            train += [self.clips[i] for i in idx[k:]]
        return ClipSet(self.labels, train), ClipSet(self.labels, test)

    def batches(self, cfg: TrainConfig, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Random windows of ``cfg.frames`` frames (looping short clips), float RGB in [0, 1]."""
        rng = np.random.default_rng([cfg.seed, epoch])
        for _ in range(cfg.steps_per_epoch):
            xs, ys = [], []
            for i in rng.integers(0, len(self.clips), cfg.batch):
                clip, y = self.clips[i]
                start = rng.integers(0, max(1, len(clip) - cfg.frames + 1))
                xs.append(clip[np.arange(start, start + cfg.frames) % len(clip)])
                ys.append(y)
            yield np.stack(xs).astype(np.float32) / 255.0, np.asarray(ys, np.int32)


def synthetic_batches(cfg: TrainConfig, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng([cfg.seed, epoch, 1])
    for _ in range(cfg.steps_per_epoch):
        clips, y = motion_dataset.make_batch(rng, cfg.batch, cfg.frames, cfg.size)
        yield clips[..., ::-1].astype(np.float32) / 255.0, y  # BGR -> RGB like the runtime


def synthetic_clipset(n_per_class: int, frames: int, size: int, seed: int) -> ClipSet:
    rng = np.random.default_rng(seed)
    clips = [(motion_dataset.make_clip(y, rng, frames, size)[..., ::-1].copy(), y)
             for y in range(len(motion_dataset.CLASSES)) for _ in range(n_per_class)]
    return ClipSet(motion_dataset.CLASSES, clips)


def build_model(cfg: TrainConfig, num_classes: int, init: str | None = None):
    import keras

    from conversion.movinet import MovinetStream, load_official_checkpoint

    keras.utils.set_random_seed(cfg.seed)
    model = MovinetStream(cfg.arch, num_classes, "relu6", "none", rezero_init=1.0).build_for(cfg.size)
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = cfg.bn_momentum
    if init:  # the backbone (and the classifier's hidden layer); the last layer keeps its fresh init
        if init.endswith(".weights.h5"):
            fresh = [np.array(w) for w in model.logits_layer.weights]
            model.load_weights(init, skip_mismatch=True)  # a different class count: that layer is skipped
            for w, v in zip(model.logits_layer.weights, fresh):  # new labels: always a fresh last layer
                w.assign(v)
        else:
            load_official_checkpoint(model, init, include_classifier=False)
    return model


def save_weights(model, path: Path) -> Path:
    """The model's weights only (not the optimizer's slots): a fresh uncompiled twin saves them."""
    from conversion.movinet import MovinetStream

    twin = MovinetStream(model.arch, model.num_classes, model.activation, model.se_type,
                         head_activation=model.head_activation).build_for(8)
    twin.set_weights(model.get_weights())
    twin.save_weights(str(path))
    return path


def train(model, batches: Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]], cfg: TrainConfig,
          work: Path, verbose: int = 1) -> dict:
    """Fit ``model`` on clip batches (loss on the clip logits = the stream's logits at its last
    frame). Resumable from ``work`` (Keras BackupAndRestore, per epoch)."""
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()

    class Epochs(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch, self._cache = 0, None

        def __len__(self):
            return cfg.steps_per_epoch

        def __getitem__(self, i):
            if self._cache is None or i == 0:
                self._cache = list(batches(self.epoch))
            return self._cache[i]

        def on_epoch_end(self):
            self.epoch += 1
            self._cache = None

    data = Epochs()

    class Sync(keras.callbacks.Callback):  # after a resume the dataset must know the epoch too
        def on_epoch_begin(self, epoch, logs=None):
            data.epoch, data._cache = epoch, None

    schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, cfg.epochs * cfg.steps_per_epoch, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    hist = model.fit(data, epochs=cfg.epochs, verbose=verbose, shuffle=False,
                     callbacks=[Sync(), keras.callbacks.BackupAndRestore(str(work / "backup"))])
    return {k: [round(float(v), 4) for v in vals] for k, vals in hist.history.items()}


def evaluate_runtime(model_path: Path, clips: ClipSet, num_threads: int = 1) -> dict:
    """Top-1 accuracy of an exported stream model through the SDK's EdgeAnalyzer, fed frame by frame
    (BGR frames as a camera gives them); one stream per clip, prediction after its last frame."""
    from edge_sdk import ActionOptions, AnalyzerConfig, EdgeAnalyzer, ModelAsset

    cfg = AnalyzerConfig(pose=None, action=ActionOptions(asset=ModelAsset(str(model_path), num_threads=num_threads),
                                                         top_k=1, reset_on_shot_change=False))
    correct, t = 0, 0.0
    confusion = np.zeros((len(clips.labels),) * 2, np.int64)
    with EdgeAnalyzer(cfg) as analyzer:
        for rgb, y in clips.clips:
            analyzer.reset_actions()
            for frame in rgb:
                t += 0.1
                result = analyzer.process_frame(np.ascontiguousarray(frame[:, :, ::-1]), t)
            pred = result.actions[0].index
            confusion[y, pred] += 1
            correct += int(pred == y)
        stats = analyzer.stats()["stages"]["action"]
    return {"clips": len(clips.clips), "accuracy": round(correct / len(clips.clips), 4),
            "chance": round(1 / len(clips.labels), 4), "confusion": confusion.tolist(), "action_stage": stats}


def export_model(model, cfg: TrainConfig, labels: Sequence[str], calib: ClipSet, out: Path, stem: str) -> dict[str, Path]:
    from conversion.movinet_export import export

    rng = np.random.default_rng(cfg.seed)
    picks = rng.choice(len(calib.clips), min(24, len(calib.clips)), replace=False)

    def clips():
        for i in picks:
            yield calib.clips[i][0].astype(np.float32) / 255.0

    paths = export(model, cfg.size, out, stem, ["fp16", "int8"], clips)
    labels_path = out / f"{stem}-labels.txt"
    atomic_write_text(labels_path, "\n".join(labels) + "\n")
    paths["labels"] = labels_path
    return paths


def register(paths: dict[str, Path], stem: str, cfg: TrainConfig, source: str) -> Path:
    """Copy the model files into ``<cache>/models`` and record them in the user manifest."""
    from edge_sdk.models import ModelEntry, cache_dir, sha256_file, user_manifest_path, write_entry

    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    for key in ("int8", "fp16", "classifier", "labels"):
        if paths[key].resolve() != (models / paths[key].name).resolve():
            with atomic_path(models / paths[key].name) as tmp:
                shutil.copyfile(paths[key], tmp)
    params = {"family": "movinet", "arch": cfg.arch, "input_size": cfg.size, "layout": "split",
              "classifier": f"{stem}-classifier", "labels": paths["labels"].name}
    for key in ("int8", "fp16", "classifier"):
        dst = models / paths[key].name
        write_entry(user_manifest_path(), ModelEntry(
            name=f"{stem}-{key}", task="action" if key != "classifier" else "action-classifier",
            precision=key if key != "classifier" else "fp16", file=dst.name, sha256=sha256_file(dst),
            size=dst.stat().st_size, shipped=False, source=source,
            build=f"edge-sdk models finetune-action (seed {cfg.seed})", params=params))
    return user_manifest_path()


def finetune(cfg: TrainConfig, out: Path, name: str, data: Path | None = None, init: str | None = None,
             holdout: float = 0.2, verbose: int = 1) -> dict:
    """Train on ``data`` (or the synthetic motion classes), export int8 + FP16, evaluate held-out
    clips through the SDK. Returns the report (also written to ``<out>/<stem>-report.json``)."""
    stem = f"movinet-{cfg.arch}-{name}"
    work = out / f".train-{name}"
    if data is not None:
        full = ClipSet.from_dir(data, cfg.size)
        train_set, test_set = full.split(holdout, cfg.seed)
        labels, batches = full.labels, (lambda epoch: train_set.batches(cfg, epoch))
        calib = train_set
    else:
        labels, batches = motion_dataset.CLASSES, (lambda epoch: synthetic_batches(cfg, epoch))
        calib = synthetic_clipset(3, 2 * cfg.frames, cfg.size, cfg.seed + 101)
        test_set = synthetic_clipset(12, cfg.frames, cfg.size, cfg.seed + 202)
    model = build_model(cfg, len(labels), init)
    history = train(model, batches, cfg, work, verbose)
    paths = export_model(model, cfg, labels, calib, out, stem)
    report = {"name": stem, "config": cfg.__dict__, "labels": list(labels), "history": history,
              "files": {k: str(p) for k, p in paths.items()},
              "heldout_int8": evaluate_runtime(paths["int8"], test_set),
              "heldout_fp16": evaluate_runtime(paths["fp16"], test_set)}
    (out / f"{stem}-report.json").write_text(json.dumps(report, indent=1) + "\n")
    save_weights(model, out / f"{stem}.weights.h5")
    shutil.rmtree(work, ignore_errors=True)
    return report


_DEMO_RUNS: dict[tuple[Path, str], dict] = {}
# A2 is ~3x the compute of A0 per step: 1000 steps instead of 3000 keep its training short (38 min on
# 2 shared vCPUs), which leaves it undertrained: held-out 0.28 int8 (chance 1/6). It is there to run
# and measure the A2 stream (latency, int8 fidelity), not to recognise the classes well.
DEMO_CONFIGS = {"a0": TrainConfig(), "a2": TrainConfig(arch="a2", epochs=10)}
DEMO_MIN_ACCURACY = {"a0": 0.6, "a2": 0.25}  # held-out, int8, through the SDK (chance: 1/6)


def build_demo(name: str, out_dir: Path) -> Path:
    """``movinet-{a0,a2}-demo-{int8,fp16,classifier}``: train the demo once per process and arch
    (seeded; A0 a few minutes on 2 cores, A2 longer), export, copy the requested file (and the
    labels) into ``out_dir``."""
    import tempfile
    import time

    arch, part = name.split("-")[1], name.rsplit("-", 1)[1]
    if arch not in DEMO_CONFIGS:
        raise KeyError(f"no demo configuration for {arch!r}; known: {', '.join(DEMO_CONFIGS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir, arch) not in _DEMO_RUNS:
        work = Path(tempfile.mkdtemp(prefix=f"movinet-{arch}-demo-"))
        start = time.monotonic()
        _DEMO_RUNS[out_dir, arch] = report = finetune(DEMO_CONFIGS[arch], work, "demo", verbose=2)
        print(f"movinet-{arch}-demo: trained, exported and evaluated in {time.monotonic() - start:.0f} s")
        accuracy = report["heldout_int8"]["accuracy"]
        print(json.dumps({k: report[k] for k in ("heldout_int8", "heldout_fp16")}))
        if accuracy < DEMO_MIN_ACCURACY[arch]:
            raise RuntimeError(f"demo model held-out int8 accuracy {accuracy} < {DEMO_MIN_ACCURACY[arch]}: not shipping it")
    files = {k: Path(v) for k, v in _DEMO_RUNS[out_dir, arch]["files"].items()}
    shutil.copyfile(files["labels"], out_dir / files["labels"].name)
    dst = out_dir / files[part].name
    shutil.copyfile(files[part], dst)
    return dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="DIR/<label>/*.mp4")
    src.add_argument("--synthetic", action="store_true", help="the synthetic temporal motion classes")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", type=Path, default=None, help="default <cache>/models")
    ap.add_argument("--init", help="our .weights.h5 or an official MoViNet checkpoint (backbone only)")
    ap.add_argument("--arch", choices=("a0", "a2"), default="a0")
    ap.add_argument("--size", type=int, default=TrainConfig.size)
    ap.add_argument("--frames", type=int, default=TrainConfig.frames)
    ap.add_argument("--batch", type=int, default=TrainConfig.batch)
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--steps", type=int, default=TrainConfig.steps_per_epoch, help="steps per epoch")
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--seed", type=int, default=TrainConfig.seed)
    ap.add_argument("--register", action="store_true", help="record the models in the user manifest")
    args = ap.parse_args(argv)
    from edge_sdk.models import cache_dir

    cfg = TrainConfig(arch=args.arch, size=args.size, frames=args.frames, batch=args.batch, epochs=args.epochs,
                      steps_per_epoch=args.steps, lr=args.lr, seed=args.seed)
    out = args.out or cache_dir() / "models"
    out.mkdir(parents=True, exist_ok=True)
    report = finetune(cfg, out, args.name, args.data, args.init)
    for k in ("heldout_int8", "heldout_fp16"):
        r = report[k]
        print(f"{k}: accuracy {r['accuracy']} on {r['clips']} held-out clips (chance {r['chance']})")
    if args.register:
        files = {k: Path(v) for k, v in report["files"].items()}
        src_desc = f"fine-tuned on {args.data}" if args.data else "synthetic temporal motion classes"
        print("registered in", register(files, report["name"], cfg, src_desc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
