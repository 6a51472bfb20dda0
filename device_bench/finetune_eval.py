"""Few-clip fine-tuning on real video: a head on the frozen Kinetics-600 stream vs training from scratch.

    python -m device_bench.finetune_eval --json device_bench/results/finetune_action_cpu_x86_64.json

Two real-video sets, cut into time-disjoint segments and split by segment (never by frame):

* ``steps``: ../shared/data/actions/clips/steps.webm + steps.json (PyPI stream-pose-ml 0.3.1 test video,
  MIT), its "Right Step" / "Left Step" frame ranges. Three of each: 3 folds, each holds out the k-th
  right and the k-th left step and trains on the other two of each.
* ``scenes``: edge_sdk/samples (carving ice, arm wrestling, rope pushdown) and vtest.avi (pedestrians,
  <cache>/media) cut into 2 s segments; the first two segments of each train, up to three later ones
  are held out. Here the class is the source video, so this measures few-shot learning of a scene.

Methods, same segments and the same frames (sampled at 5 fps from the video):
(a) ``kinetics_head``: :func:`edge_sdk.action.head.fit_head` on the frozen int8 stream's pooled embedding
    (what ``edge-sdk models finetune-action`` does); a held-out segment's answer is the head's after
    its last model frame. ``kinetics_logits_head``: the same on the file's 600 log-softmax scores;
    ``kinetics_head_1_clip_per_class``: the embedding head on the first training clip of each class only.
(b) ``scratch``: the TensorFlow path (``--from scratch``: conversion.movinet_train, A0 stream at 64 px from
    random weights, the CLI's default budget of 8 x 40 steps), exported int8, judged through the SDK.
(c) ``zero_shot`` (scenes with a Kinetics class only): the file's own answer among the mapped classes.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_sdk.action.finetune import open_base
from edge_sdk.action.head import fit_head
from edge_sdk.action.preprocess import to_model_rgb
from edge_sdk.action.sampler import FrameSampler
from edge_sdk.models import cache_dir
from edge_sdk.safe_write import atomic_write_text, dumps_strict
from edge_sdk.video.sources import VideoFileSource

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "actions" / "clips"
MEDIA = ROOT / "edge_sdk" / "samples"
FPS = 5.0
SCENES = {"carving ice": MEDIA / "carving_ice.mp4", "arm wrestling": MEDIA / "arm_wrestling.mp4",
          "rope pushdown": MEDIA / "rope_pushdown.mp4", "pedestrians": cache_dir() / "media" / "vtest.avi"}
ZERO_SHOT = {"carving ice": "carving ice", "arm wrestling": "arm wrestling", "rope pushdown": "rope pushdown"}


@dataclass(frozen=True)
class Segment:
    label: str
    source: str
    t0: float
    t1: float
    big: np.ndarray  # (T, 172, 172, 3) uint8 RGB, the Kinetics stream's input
    small: np.ndarray  # (T, 64, 64, 3) uint8 RGB, the from-scratch model's input


def sampled_frames(path: Path, sizes: tuple[int, int]) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The video's frames at 5 fps (the action stage's sampler), centre square at both sizes."""
    sampler = FrameSampler(FPS)
    out = []
    with VideoFileSource(path) as src:
        for _, t, frame in src:
            if sampler(t):
                out.append((t, to_model_rgb(frame, sizes[0]), to_model_rgb(frame, sizes[1])))
    return out


def cut(frames, label: str, source: str, t0: float, t1: float) -> Segment:
    keep = [f for f in frames if t0 <= f[0] < t1]
    return Segment(label, source, t0, t1, np.stack([f[1] for f in keep]), np.stack([f[2] for f in keep]))


def step_segments(size: int) -> list[Segment]:
    labels = json.loads((SHARED / "steps.json").read_text())["annotations"]
    frames = sampled_frames(SHARED / "steps.webm", (size, 64))
    with VideoFileSource(SHARED / "steps.webm") as src:
        fps = src.fps
    segs = []
    for a in sorted(labels, key=lambda a: a["metadata"]["system"]["frame"]):
        if a["label"] in ("Right Step", "Left Step"):
            s = a["metadata"]["system"]
            segs.append(cut(frames, a["label"], "steps.webm", s["frame"] / fps, (s["endFrame"] + 1) / fps))
    return segs


def scene_segments(size: int, seconds: float = 2.0) -> list[Segment]:
    segs = []
    for label, path in SCENES.items():
        if not path.is_file():
            continue
        frames = sampled_frames(path, (size, 64))
        n = int((frames[-1][0] + 1 / FPS) // seconds)
        segs += [cut(frames, label, path.name, k * seconds, (k + 1) * seconds) for k in range(n)]
    return segs


def scene_split(segs: list[Segment], train_per_class: int = 2, test_per_class: int = 3):
    """First ``train_per_class`` segments of each source train; up to ``test_per_class`` of the later ones
    (spread over the rest of the video) are held out."""
    train, test = [], []
    for label in dict.fromkeys(s.label for s in segs):
        mine = [s for s in segs if s.label == label]
        train += mine[:train_per_class]
        rest = mine[train_per_class:]
        picks = np.unique(np.linspace(0, len(rest) - 1, min(test_per_class, len(rest))).round().astype(int))
        test += [rest[i] for i in picks]
    return train, test


def stream(backend, seg: Segment) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) pooled embeddings and (T, 600) log-softmax scores after each model frame of a new stream."""
    backend.reset()
    emb, logp = [], []
    for rgb in seg.big:
        z = backend.stream.step(rgb).astype(np.float64)
        logp.append(z - z.max() - np.log(np.exp(z - z.max()).sum()))
        emb.append(backend.stream.embedding())
    backend.reset()
    return np.stack(emb), np.stack(logp)


def head_answers(feats: dict[int, np.ndarray], train, test, labels) -> list[int]:
    head = fit_head([feats[id(s)] for s in train], [labels.index(s.label) for s in train], labels)
    return [int(np.argmax(head.logits(feats[id(s)][-1]))) for s in test]


def scratch_answers(train, test, labels, epochs: int, steps: int, seed: int = 0) -> tuple[list[int], dict]:
    """The TensorFlow from-scratch path on the same segments (64 px frames at 5 fps): train, export int8,
    and each held-out segment's answer after its last frame through the SDK's stream backend."""
    from conversion.movinet_export import export
    from conversion.movinet_train import ClipSet, TrainConfig, build_model
    from conversion.movinet_train import train as fit
    from edge_sdk.action.movinet_stream import MovinetActionBackend

    cfg = TrainConfig(epochs=epochs, steps_per_epoch=steps, seed=seed)
    t0 = time.perf_counter()
    tr = ClipSet(labels, [(s.small, labels.index(s.label)) for s in train])
    with tempfile.TemporaryDirectory(prefix="finetune-eval-") as work:
        model = build_model(cfg, len(labels))
        fit(model, lambda epoch: tr.batches(cfg, epoch), cfg, Path(work), verbose=0)
        t1 = time.perf_counter()
        calib = [s.small.astype(np.float32) / 255.0 for s in train]  # as export_model, int8 only
        paths = export(model, cfg.size, Path(work), "movinet-a0-eval", ["int8"], lambda: iter(calib))
        with MovinetActionBackend.from_model(paths["int8"], num_threads=1, reset_on_shot_change=False) as b:
            answers = [int(np.argmax(b.logits(s.small)[-1])) for s in test]
    return answers, {"train_s": round(t1 - t0, 1), "export_s": round(time.perf_counter() - t1, 1)}


def score(answers: list[int], test, labels) -> dict:
    truth = [labels.index(s.label) for s in test]
    per_class = {lab: [int(a == y) for a, y in zip(answers, truth) if y == k] for k, lab in enumerate(labels)}
    return {"correct": int(sum(a == y for a, y in zip(answers, truth))), "judged": len(truth),
            "accuracy": round(float(np.mean([a == y for a, y in zip(answers, truth)])), 4),
            "per_class_correct": {k: f"{sum(v)}/{len(v)}" for k, v in per_class.items() if v}}


def evaluate(name: str, folds, labels, feats, logps, args, backend) -> dict:
    out: dict = {"labels": labels, "chance": round(1 / len(labels), 4), "folds": []}
    totals: dict[str, list[int]] = {}
    for k, (train, test) in enumerate(folds):
        fold = {"train": [f"{s.label} {s.source} {s.t0:.2f}-{s.t1:.2f}s ({len(s.big)} frames)" for s in train],
                "test": [f"{s.label} {s.source} {s.t0:.2f}-{s.t1:.2f}s ({len(s.big)} frames)" for s in test]}
        first = [next(s for s in train if s.label == lab) for lab in labels]  # one clip per class
        methods = {"kinetics_head": head_answers(feats, train, test, labels),
                   "kinetics_logits_head": head_answers(logps, train, test, labels),
                   "kinetics_head_1_clip_per_class": head_answers(feats, first, test, labels)}
        if not args.no_scratch:
            methods["scratch"], fold["scratch_seconds"] = scratch_answers(train, test, labels, args.epochs, args.steps)
        if name == "scenes":
            names = list(backend.labels)
            idx = [names.index(ZERO_SHOT[lab]) for lab in labels if lab in ZERO_SHOT]
            zs = [s for s in test if s.label in ZERO_SHOT]
            fold["zero_shot"] = score([labels.index(next(k for k, v in ZERO_SHOT.items() if names.index(v) == idx[
                int(np.argmax(logps[id(s)][-1][idx]))])) for s in zs], zs, labels)
            fold["zero_shot_top1_of_600"] = score([labels.index(s.label) if names[int(np.argmax(logps[id(s)][-1]))] ==
                                                   ZERO_SHOT[s.label] else -1 for s in zs], zs, labels)
        for m, answers in methods.items():
            fold[m] = score(answers, test, labels)
            totals.setdefault(m, []).extend(int(a == labels.index(s.label)) for a, s in zip(answers, test))
        out["folds"].append(fold)
        print(name, "fold", k, {m: fold[m]["accuracy"] for m in methods}, flush=True)
    out["held_out"] = {m: {"correct": sum(v), "judged": len(v), "accuracy": round(sum(v) / len(v), 4)}
                       for m, v in totals.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-scratch", action="store_true", help="skip the TensorFlow baseline")
    ap.add_argument("--epochs", type=int, default=8, help="from-scratch budget (the CLI's default)")
    ap.add_argument("--steps", type=int, default=40, help="from-scratch steps per epoch (the CLI's default)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    backend = open_base()
    size = backend.stream.input_size
    report: dict = {"host": platform.machine(), "model": backend.model.name, "sample_fps": FPS,
                    "feature": f"pooled embedding, {backend.stream.embedding_dim} values",
                    "scratch_budget": None if args.no_scratch else {"epochs": args.epochs, "steps_per_epoch": args.steps,
                                                                    "batch": 8, "frames": 12, "size": 64}}
    sets = {}
    if (SHARED / "steps.webm").is_file():
        segs = step_segments(size)
        right = [s for s in segs if s.label == "Right Step"]
        left = [s for s in segs if s.label == "Left Step"]
        folds = [([s for s in right + left if s is not r and s is not lt], [r, lt]) for r, lt in zip(right, left)]
        sets["steps"] = (segs, folds, ["Left Step", "Right Step"])
    else:
        report["steps"] = "skipped: ../shared/data/actions/clips/steps.webm not found"
    segs = scene_segments(size)
    train, test = scene_split(segs)
    sets["scenes"] = (segs, [(train, test)], list(dict.fromkeys(s.label for s in segs)))
    for name, (segs, folds, labels) in sets.items():
        feats, logps = {}, {}
        for s in segs:
            feats[id(s)], logps[id(s)] = stream(backend, s)
        report[name] = evaluate(name, folds, labels, feats, logps, args, backend)
        report[name]["segments"] = {lab: sum(s.label == lab for s in segs) for lab in labels}
    report["seconds"] = round(time.perf_counter() - start, 1)
    text = dumps_strict(report, indent=1)
    print(json.dumps({k: report[k]["held_out"] for k in sets}, indent=1))
    if args.json:
        atomic_write_text(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
