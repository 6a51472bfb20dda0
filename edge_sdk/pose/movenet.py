"""MoveNet single-pose backend on a TFLite runtime.

Two model layouts are accepted, recognised from the model itself:

* ``full`` (our FP16 and int8 models, and the official TF Hub / Kaggle TFLite files): one output
  [1, 1, 17, 3] = (y, x, score) normalized to the square input; the decode runs in the graph.
* ``multipose`` (MoveNet MultiPose, ours or official): one output [1, 6, 56]: per person 17 x
  (y, x, score) then (ymin, xmin, ymax, xmax, score), normalized; up to 6 people, no crop tracking.

The input is uint8 [1, H, W, 3] RGB 0-255 (square for single-pose; MultiPose files may be landscape,
e.g. 256x192 for 4:3 video); the frame is letterboxed (aspect kept, zero padded) and keypoints,
normalized per axis (y / H, x / W), are mapped back to frame pixels.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np

from ..config import ModelAsset, PoseOptions
from ..errors import EdgeSdkError, InvalidArrayError, ModelLoadError
from ..models import ResolvedModel, resolve_model
from ..results import COCO_KEYPOINTS, Pose, StageTimings
from ..runtime import LoadedInterpreter, load_interpreter
from ..video.frames import check_frame
from ..video.letterbox import Letterbox
from .base import PoseOutput, keypoint_scores
from .cropping import next_crop_region

__all__ = ["MoveNetBackend"]

NUM_KEYPOINTS = len(COCO_KEYPOINTS)
MIN_PERSON_SCORE = 0.05  # MultiPose person score (see MoveNetBackend._multipose)


# A MultiPose row's (y, x) columns as (x, y) pairs: the 17 keypoints, then the box corners (xmin, ymin), (xmax, ymax).
_XY_COLUMNS = np.array([c for k in range(NUM_KEYPOINTS) for c in (3 * k + 1, 3 * k)] + [52, 51, 54, 53])


def _row_affine(lb: Letterbox) -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) float32 rows for :data:`_XY_COLUMNS`: ``row * scale + offset`` is what
    :meth:`Letterbox.to_frame` gives for each (y, x) pair, bit for bit."""
    mul, add = lb.affine()
    n = len(_XY_COLUMNS) // 2
    return np.tile(mul, n), np.tile(add, n)


class MoveNetBackend:
    """MoveNet Lightning/Thunder single-pose estimation.

    Args:
        options: :class:`PoseOptions`; this backend reads ``asset`` (model name or .tflite path,
            sha256, threads, runtime) and ``min_pose_score`` (poses whose mean keypoint score is
            below it are dropped). :meth:`from_model` builds them from a model name.
        track: video crop tracking: each frame's input is a square around the person found in the
            previous frame (the whole frame until a torso is seen). Call :meth:`reset` on a cut.

    Not thread-safe: use one instance per thread.
    """

    name = "movenet"

    def __init__(self, options: PoseOptions | None = None, *, track: bool = False) -> None:
        t0 = time.perf_counter()
        self.options = options or PoseOptions()
        a = self.options.asset
        self.model: ResolvedModel = resolve_model(a.model, expected_sha256=a.sha256, task="pose")
        self._loaded: LoadedInterpreter = load_interpreter(self.model.path, a.num_threads, a.runtime)
        self.min_pose_score = float(self.options.min_pose_score)
        interp = self._loaded.interpreter
        inputs = interp.get_input_details()
        shape = list(inputs[0]["shape"]) if len(inputs) == 1 else []
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or min(shape[1:3]) < 32:
            got = ", ".join(str([int(x) for x in d["shape"]]) for d in inputs[:4]) + (", ..." if len(inputs) > 4 else "")
            raise ModelLoadError(f"{self.model.path}: not a MoveNet pose model: expected one [1, H, W, 3] image input, "
                                 f"got {len(inputs)} input(s): {got}")
        self._input = d = inputs[0]
        # uint8 with identity quantization, like every MoveNet file we build and the official ones:
        # letterboxed pixels go straight into the input tensor.
        if d["dtype"] != np.uint8 or d["quantization"][0] not in (0.0, 1.0) or d["quantization"][1] != 0:
            raise ModelLoadError(f"{self.model.path}: expected a uint8 pixel input (scale 1, zero point 0) like the "
                                 f"MoveNet files, got {np.dtype(d['dtype']).name} with quantization {tuple(d['quantization'])}")
        self.input_hw = (int(shape[1]), int(shape[2]))
        self.input_size = max(self.input_hw)  # the side for square files
        self._layout, self._outputs = self._read_layout()
        if self._layout == "full" and shape[1] != shape[2]:
            raise ModelLoadError(f"{self.model.path}: a single-pose MoveNet file has a square input, got {shape}")
        self._letterbox: dict[tuple[int, int], Letterbox] = {}
        self._affine: dict[Letterbox, tuple[np.ndarray, np.ndarray]] = {}  # MultiPose: _row_affine per letterbox
        self.track = bool(track) and self._layout != "multipose"  # MultiPose sees the whole frame
        self._region: tuple[int, int, int, int] | None = None
        self._scratch: dict = {}  # resize buffers shared by every letterbox of this backend
        self.load_ms = (time.perf_counter() - t0) * 1e3

    @classmethod
    def from_model(cls, model: str | os.PathLike, *, num_threads: int | None = None, runtime: str = "auto",
                   expected_sha256: str | None = None, min_pose_score: float = 0.2, track: bool = False,
                   ) -> "MoveNetBackend":
        """``MoveNetBackend(PoseOptions(asset=ModelAsset(model, ...), min_pose_score=...), track=...)``."""
        asset = ModelAsset(os.fspath(model), expected_sha256, num_threads, runtime)
        return cls(PoseOptions(asset=asset, min_pose_score=min_pose_score), track=track)

    def _read_layout(self) -> tuple[str, dict[str, dict[str, Any]]]:
        interp = self._loaded.interpreter
        details = {d["index"]: d for d in interp.get_output_details()}
        if len(details) == 1:
            d = next(iter(details.values()))
            if list(d["shape"]) == [1, 1, NUM_KEYPOINTS, 3]:
                return "full", {"keypoints": {"index": d["index"]}}
            if len(d["shape"]) == 3 and d["shape"][0] == 1 and d["shape"][2] == 56:
                return "multipose", {"people": {"index": d["index"]}}
        shapes = [[int(x) for x in d["shape"]] for d in details.values()]
        raise ModelLoadError(
            f"{self.model.path}: not a MoveNet model: expected one [1, 1, 17, 3] output (single-pose) "
            f"or one [1, 6, 56] output (MultiPose), got {shapes}"
        )

    def reset(self) -> None:
        """Forget the tracked crop: the next frame is seen whole."""
        self._region = None

    def _prepare(self, frame: np.ndarray) -> Letterbox:
        shape = frame.shape[:2]
        r = self._region
        if r is not None and r[0] + r[2] <= shape[1] and r[1] + r[3] <= shape[0]:
            lb = Letterbox.fit(shape, self.input_hw[::-1], r, self._scratch)
        else:
            lb = self._letterbox.get(shape)
            if lb is None:
                lb = self._letterbox[shape] = Letterbox.fit(shape, self.input_hw[::-1], None, self._scratch)
        # A view of the input tensor, released before invoke as LiteRT requires.
        view = self._loaded.interpreter.tensor(self._input["index"])()
        lb.apply(frame, view[0])
        del view
        return lb

    def _decode(self) -> np.ndarray:
        """(17, 3) float32 (y, x, score) of a single-pose output, a copy."""
        return self._loaded.interpreter.get_tensor(self._outputs["keypoints"]["index"])[0, 0]

    def estimate(self, frame: np.ndarray) -> PoseOutput:
        """Poses in ``frame`` ((H, W, 3) uint8 BGR); keypoints in its pixel coordinates."""
        if self._loaded is None:
            raise EdgeSdkError("MoveNetBackend is closed")
        frame = check_frame(frame)
        t0 = time.perf_counter()
        lb = self._prepare(frame)
        t1 = time.perf_counter()
        self._loaded.interpreter.invoke()
        t2 = time.perf_counter()
        if self._layout == "multipose":
            people = self._multipose(lb)
            return PoseOutput(people, StageTimings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (time.perf_counter() - t2) * 1e3))
        yxs = self._decode()
        scores, score = keypoint_scores(yxs[:, 2])
        poses: tuple[Pose, ...] = ()
        if score >= self.min_pose_score:
            poses = (Pose(keypoints=lb.to_frame(yxs[:, :2]), scores=scores, score=score, backend=self.name),)
        if self.track:
            self._region = next_crop_region(poses[0].keypoints, scores, (frame.shape[1], frame.shape[0])) if poses else None
        t3 = time.perf_counter()
        return PoseOutput(poses, StageTimings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3))

    def _multipose(self, lb: Letterbox) -> tuple[Pose, ...]:
        """People of a [1, N, 56] MultiPose output, best first; each with the model's box (ymin,
        xmin, ymax, xmax normalized) mapped to frame pixels.

        A row is a person when the model's own person score (column 55) is >= MIN_PERSON_SCORE
        and the mean keypoint score >= ``min_pose_score``. Rows the model rejects (person score
        ~0.01) can carry a neighbour's confident keypoints: on messi5.jpg the keypoint mean alone
        reported a duplicate person (person score 0.01). Real pedestrians in vtest.avi score 0.06-0.22
        (the labelled crossing frames), so the bar is 0.05; on PoseTrack18/CrowdPose samples
        (device_bench.pose_oks) it finds the same people at OKS >= 0.5 as the keypoint mean alone,
        while a 0.2 bar lost people there (best-person OKS 0.68 -> 0.59)."""
        rows = self._loaded.interpreter.get_tensor(self._outputs["people"]["index"])[0]
        scores = np.minimum(np.maximum(rows[:, 2:51:3], 0.0), 1.0)  # as keypoint_scores, every row at once
        # Few numpy calls: the first code after invoke() runs with cold caches, where each call costs.
        mean = [s / NUM_KEYPOINTS for s in np.add.reduce(scores, axis=1).tolist()]
        person = rows[:, 55].tolist()
        keep = sorted((k for k, m in enumerate(mean) if person[k] >= MIN_PERSON_SCORE and m >= self.min_pose_score),
                      key=lambda k: -mean[k])  # best first (a stable sort: ties keep the model's order)
        if not keep:
            return ()
        # Keypoints and box corners of every kept person mapped to frame pixels at once, checked once
        # for all of them (Pose._checked then builds each person without a copy or a check).
        mul, add = self._affine.get(lb) or self._affine.setdefault(lb, _row_affine(lb))
        pts = rows[keep][:, _XY_COLUMNS] * mul + add
        if not np.isfinite(pts).all():
            raise InvalidArrayError(f"{self.model.path}: MultiPose output contains NaN or inf keypoints")
        pts.setflags(write=False)
        kept = scores[keep]
        kept.setflags(write=False)
        xy = pts[:, : 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2)
        return tuple(Pose._checked(keypoints=xy[j], scores=kept[j], score=mean[k], backend=self.name,
                                   box=(c[0], c[1], max(c[0], c[2]), max(c[1], c[3])))
                     for j, (k, c) in enumerate(zip(keep, pts[:, 2 * NUM_KEYPOINTS :].tolist())))

    def fork(self, num_threads: int) -> "MoveNetBackend | None":
        """An independent copy of this backend (same model and options) with ``num_threads``, or None
        with crop tracking on (each frame's crop comes from the frame before). The copy is checked
        against the same sha256 and gives the same poses (XNNPACK's results do not depend on threads)."""
        if self.track:
            return None
        asset = dataclasses.replace(self.options.asset, sha256=self.model.sha256, num_threads=int(num_threads),
                                    runtime=self._loaded.runtime)  # the same name: describe() stays the same
        return MoveNetBackend(dataclasses.replace(self.options, asset=asset))

    def invoke_only(self) -> float:
        """Run ``invoke()`` on whatever input is set; returns milliseconds (the stage's speed limit)."""
        t0 = time.perf_counter()
        self._loaded.interpreter.invoke()
        return (time.perf_counter() - t0) * 1e3

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model.name,
            "model_path": str(self.model.path),
            "sha256": self.model.sha256,
            "layout": self._layout,
            "input_size": self.input_size,
            "input_shape": [self.input_hw[1], self.input_hw[0]],  # W, H
            "input_dtype": np.dtype(self._input["dtype"]).name,
            "runtime": self._loaded.runtime,
            "runtime_version": self._loaded.version,
            "num_threads": self._loaded.num_threads,
            "min_pose_score": self.min_pose_score,
            "crop_tracking": self.track,
        }

    def close(self) -> None:
        self._loaded = None  # type: ignore[assignment]

    def __enter__(self) -> "MoveNetBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
