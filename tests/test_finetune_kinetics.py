"""New action classes from a few clips on the frozen Kinetics-600 stream (``finetune-action``, numpy only).

Real weights (the shipped official int8 file), real video (edge_sdk/samples, in the repository): each clip
is cut into 2 s segments written as DIR/<label>/*.mp4; the first segments train, later segments of the
same videos (disjoint in time) are held out. The reference is the segment's source clip.
"""

from __future__ import annotations

import json
from math import comb
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import ActionOptions, AnalyzerConfig, ConfigError, EdgeAnalyzer, ModelAsset
from edge_sdk.action.finetune import find_clips, finetune_kinetics
from edge_sdk.action.head import fit_head, load_head
from edge_sdk.errors import EdgeSdkError, ModelIntegrityError, ModelLoadError, SourceError
from edge_sdk.models import load_manifest, resolve_model, sha256_file, user_manifest_path
from edge_sdk.video.sources import VideoFileSource

MEDIA = Path(__file__).resolve().parent.parent / "edge_sdk" / "samples"
CLIPS = {"carving ice": "carving_ice.mp4", "arm wrestling": "arm_wrestling.mp4", "rope pushdown": "rope_pushdown.mp4"}
SECONDS = 2.0
TRAIN_SEGMENTS = 2  # per class: few clips


def _write(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        out.write(f)
    out.release()
    return path


@pytest.fixture(scope="module")
def segments(tmp_path_factory) -> tuple[Path, list[tuple[str, Path]]]:
    """DIR/<label>/seg{k}.mp4 for the first TRAIN_SEGMENTS 2 s segments of each clip, and the later
    segments (label, file) held out."""
    root = tmp_path_factory.mktemp("finetune")
    held_out = []
    for label, name in CLIPS.items():
        with VideoFileSource(MEDIA / name) as src:
            frames = [(t, f) for _, t, f in src]
            fps = src.fps
        n = int((frames[-1][0] + 1 / fps) // SECONDS)
        for k in range(n):
            seg = [f for t, f in frames if k * SECONDS <= t < (k + 1) * SECONDS]
            if k < TRAIN_SEGMENTS:
                _write(root / "train" / label / f"seg{k}.mp4", seg, fps)
            else:
                held_out.append((label, _write(root / "held_out" / label / f"seg{k}.mp4", seg, fps)))
    return root / "train", held_out


def _bar(n: int, chance: float, alpha: float = 0.01) -> int:
    """Fewest right answers out of ``n`` that guessing at ``chance`` reaches with probability < ``alpha``."""
    for k in range(n + 1):
        if sum(comb(n, i) * chance ** i * (1 - chance) ** (n - i) for i in range(k, n + 1)) < alpha:
            return k
    raise AssertionError("no bar")


def _answer(analyzer: EdgeAnalyzer, path: Path, t0: float) -> tuple[str, float]:
    """The top action after the last frame of a clip fed as a new stream; the next free timestamp."""
    analyzer.reset_actions()
    t = t0
    with VideoFileSource(path) as src:
        for _, ts, frame in src:
            t = t0 + ts
            result = analyzer.process_frame(frame, t)
    return result.actions[0].label, t + 1.0


def test_head_on_kinetics_features_names_held_out_segments(segments, cache_env: Path, capsys):
    """``edge-sdk models finetune-action`` (default: Kinetics head) on 2 clips per class -> the user manifest
    -> ``--action NAME`` through the analyzer on later, unseen segments of the same videos."""
    from edge_sdk.cli import main

    train, held_out = segments
    assert main(["models", "finetune-action", "--data", str(train), "--name", "three-scenes"]) == 0
    out = capsys.readouterr().out
    assert "6 clips, 3 classes" in out and "registered three-scenes" in out
    entry = load_manifest()["three-scenes"]
    base = resolve_model("movinet-a0-stream-k600-int8")
    assert (entry.file, entry.sha256, entry.task) == (base.path.name, base.sha256, "action")
    head_file = cache_env / "models" / entry.params["head"]
    assert entry.params["head_sha256"] == sha256_file(head_file) and entry.params["fps"] == 5.0
    report = json.loads((cache_env / "models" / "three-scenes-report.json").read_text())
    assert report["labels"] == sorted(CLIPS) and len(report["clips"]) == 6

    correct, t = 0, 0.0
    options = ActionOptions(asset=ModelAsset("three-scenes", num_threads=1), top_k=3, reset_on_shot_change=False)
    with EdgeAnalyzer(AnalyzerConfig(pose=None, action=options)) as a:
        described = a.describe()["action"]
        assert described["classes"] == 3 and described["head"] == str(head_file)
        assert described["sample_fps"] == 5.0 and described["pool_frames"] == 100
        answers = []
        for label, path in held_out:
            got, t = _answer(a, path, t)
            answers.append((label, got))
            correct += got == label
    bar = _bar(len(held_out), 1 / len(CLIPS))
    assert len(held_out) == 7 and correct >= bar, (correct, bar, answers)


def test_head_round_trips_and_keeps_the_stage_options(segments, cache_env: Path):
    """The registered model takes label subsets and per-person mode like any action model; a head file
    that changed on disk, or a head on a model without the pooled embedding, is refused."""
    train, _ = segments
    result = finetune_kinetics(train, "scenes-rt")
    cv = result.report["cross_validation"]
    assert (cv["folds"], cv["judged"], cv["chance"]) == (6, 6, round(1 / 3, 4))
    from edge_sdk.action.movinet_stream import MovinetActionBackend

    with MovinetActionBackend(ActionOptions(asset=ModelAsset("scenes-rt"), actions="arm wrestling,ice=carving ice",
                                            per_person=True)) as b:
        assert b.label_set.names == ("arm wrestling", "ice")
    with pytest.raises(ConfigError, match="arm wresling"):
        MovinetActionBackend(ActionOptions(asset=ModelAsset("scenes-rt"), actions="arm wresling"))
    from edge_sdk.cli import main

    assert main(["models", "verify", "scenes-rt"]) == 0
    head = load_head(result.head_path)
    assert head.labels == tuple(sorted(CLIPS)) and head.dim == 480
    data = bytearray(result.head_path.read_bytes())
    data[-40] ^= 0xFF
    result.head_path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        MovinetActionBackend(ActionOptions(asset=ModelAsset("scenes-rt")))
    assert main(["models", "verify", "scenes-rt"]) == 1
    with pytest.raises(ModelLoadError, match="official MoViNet stream"):
        finetune_kinetics(train, "on-demo", base="movinet-a0-demo-int8")
    assert "on-demo" not in load_manifest() and user_manifest_path().is_file()


def test_head_is_above_chance_and_can_fail():
    """The head itself: separable classes are learnt, shuffled labels are not (so the bar can fail)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (3, 480))
    feats = [centres[y] + rng.normal(0, 0.5, (8, 480)) for y in (0, 0, 1, 1, 2, 2)]
    head = fit_head(feats, [0, 0, 1, 1, 2, 2], ["a", "b", "c"])
    test = [centres[y] + rng.normal(0, 0.5, 480) for y in range(3)]
    assert [int(np.argmax(head.logits(x))) for x in test] == [0, 1, 2]
    blind = fit_head([rng.normal(0, 1, (8, 480)) for _ in range(6)], [0, 0, 1, 1, 2, 2], ["a", "b", "c"])
    assert not np.allclose(blind.logits(test[0]), head.logits(test[0]))


def test_cross_validation_judges_every_clip_once_without_it():
    from edge_sdk.action.finetune import cross_validate

    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (2, 32))
    targets = [0] * 14 + [1] * 9
    feats = [centres[y] + rng.normal(0, 0.3, (5, 32)) for y in targets]
    seen = []

    def fit(x, y, labels):
        seen.append(len(x))
        return fit_head(x, y, labels, steps=100)

    answers = cross_validate(feats, targets, ["a", "b"], fit)
    assert len(seen) == 10 and sum(23 - m for m in seen) == 23  # 10 folds, each clip left out once
    assert answers == targets
    assert cross_validate(feats[:3], [0, 0, 1], ["a", "b"])[2] is None  # its class would have no clip


@pytest.mark.parametrize("layout, message", [
    ({}, "at least 2 classes; found 0"),
    ({"walk": ["a.mp4"]}, "at least 2 classes; found 1: walk"),
    ({"walk": ["a.mp4"], "run": ["notes.txt"]}, "run: no video clips"),
])
def test_bad_data_layouts_are_config_errors(tmp_path: Path, layout, message):
    for label, files in layout.items():
        (tmp_path / label).mkdir()
        for f in files:
            (tmp_path / label / f).write_bytes(b"x")
    with pytest.raises(ConfigError, match=message):
        find_clips(tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        find_clips(tmp_path / "missing")


def test_unreadable_video_and_bad_names(tmp_path: Path, cache_env: Path):
    import shutil

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
    shutil.copyfile(MEDIA / "rope_pushdown.mp4", tmp_path / "a" / "good.mp4")
    (tmp_path / "b" / "broken.mp4").write_bytes(b"\x00" * 4096)
    with pytest.raises(SourceError, match="broken.mp4"):
        finetune_kinetics(tmp_path, "broken")
    for bad in ("../escape", "", "movinet-a0-stream-k600-int8"):
        with pytest.raises(ConfigError):
            finetune_kinetics(tmp_path, bad)
    assert not (cache_env / "models" / "broken-head.npz").exists()
    from edge_sdk.cli import main

    assert main(["models", "finetune-action", "--data", str(tmp_path), "--name", "x", "--from", "kinetics",
                 "--init", "w.weights.h5"]) == 2
    with pytest.raises(EdgeSdkError):
        fit_head([np.zeros((3, 4))], [0], ["only"])
