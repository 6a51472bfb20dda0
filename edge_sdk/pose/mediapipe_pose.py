"""MediaPipe Pose (BlazePose, legacy ``mp.solutions.pose``) behind the PoseBackend protocol.

Needs ``pip install 'edge-scene-sdk[mediapipe]'`` (mediapipe 0.10.14, whose wheel ships the person
detector and ``pose_landmark_full.tflite``: model_complexity=1 runs offline). Complexity 0 and 2
need their landmark model placed next to the full one by hand; this backend checks for the file
first and raises :class:`ModelNotFoundError` instead of letting mediapipe try a download.

Results: the 17 COCO keypoints (the same body points picked out of the 33 landmarks, so code
downstream does not care which backend ran), visibility as score, plus all 33 landmarks in
``Pose.landmarks``. One person per frame, like MoveNet single-pose.

OpenCV: mediapipe 0.10.14 depends on opencv-contrib-python, which installs the same ``cv2``
package as our opencv-python-headless. The ``[mediapipe]`` extra pins it to the same 4.x range,
so whichever is installed last provides a compatible ``cv2`` (contrib is a superset); it needs the
system libraries libgl1 and libglib2.0-0 (present on Raspberry Pi OS desktop images).
"""

from __future__ import annotations

import os
import time
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .._native import quiet_stderr
from .._version import install_hint
from ..config import MediaPipeOptions, PoseOptions
from ..errors import BackendUnavailableError, EdgeSdkError, ModelNotFoundError
from ..models import sha256_file
from ..results import COCO_FROM_BLAZEPOSE, Pose, StageTimings
from ..video.frames import check_frame
from .base import PoseOutput, keypoint_scores

__all__ = ["MediaPipePoseBackend"]

LANDMARK_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}
UPSTREAM = "https://storage.googleapis.com/mediapipe-assets/"
_COCO = np.asarray(COCO_FROM_BLAZEPOSE)


def _import_mediapipe() -> Any:
    """The mediapipe module, quiet; :class:`BackendUnavailableError` naming the extra if it fails."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # before mediapipe's C++ logging starts
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mediapipe as mp
            from mediapipe.python.solutions import pose as _  # noqa: F401
        # protobuf 4 deprecation noise from inside mediapipe on every process() call
        warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype", category=UserWarning)
    except ImportError as e:  # not installed, or its cv2 / libGL is broken
        raise BackendUnavailableError(
            f"the mediapipe pose backend needs `{install_hint('mediapipe')}` (mediapipe==0.10.14; "
            f"its cv2 needs the system libraries libgl1 and libglib2.0-0): {type(e).__name__}: {e}"
        ) from e
    return mp


@cache
def _sha256(path: str) -> str:
    return sha256_file(Path(path))


class MediaPipePoseBackend:
    """BlazePose through MediaPipe's legacy Pose solution.

    Args:
        options: :class:`PoseOptions`; this backend reads ``mediapipe`` (:class:`MediaPipeOptions`:
            complexity, detection/tracking thresholds) and ``min_pose_score`` (poses whose mean
            visibility over the 17 COCO keypoints is below it are dropped).
        track: video mode: reuse the previous frame's landmarks to place the next crop and run
            the person detector only when tracking is lost (``static_image_mode=False``).
            False: every frame is an independent image.

    MediaPipe's own landmark smoothing is off: the analyzer's One-Euro filter smooths every
    backend alike. MediaPipe picks its thread count itself. Not thread-safe.
    """

    name = "mediapipe"

    def __init__(self, options: PoseOptions | None = None, *, track: bool = False) -> None:
        self._solution: Any = None
        self.options = options or PoseOptions()
        self.mediapipe: MediaPipeOptions = self.options.mediapipe
        self.track = bool(track)
        self.min_pose_score = float(self.options.min_pose_score)
        mp = _import_mediapipe()
        modules = Path(mp.__file__).parent / "modules"
        self.model_paths = {
            "detector": modules / "pose_detection" / "pose_detection.tflite",
            "landmarks": modules / "pose_landmark" / LANDMARK_FILES[self.mediapipe.model_complexity],
        }
        for path in self.model_paths.values():
            if not path.is_file():
                raise ModelNotFoundError(
                    f"MediaPipe model_complexity={self.mediapipe.model_complexity} needs {path}, which the mediapipe "
                    f"{mp.__version__} wheel does not ship (only complexity 1 runs offline). Use model_complexity=1, or on a "
                    f"connected device download {UPSTREAM}{path.name} into {path.parent}"
                )
        self._mp_version = mp.__version__
        self._loaded_landmark_model = False
        with quiet_stderr():
            self._solution = mp.solutions.pose.Pose(
                static_image_mode=not self.track,
                model_complexity=self.mediapipe.model_complexity,
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=self.mediapipe.min_detection_confidence,
                min_tracking_confidence=self.mediapipe.min_tracking_confidence,
            )

    def reset(self) -> None:
        """Forget the tracked person (call on a scene cut)."""
        if self._solution is not None:
            self._solution.reset()

    def estimate(self, frame: np.ndarray) -> PoseOutput:
        """Pose in ``frame`` ((H, W, 3) uint8 BGR); keypoints in its pixel coordinates."""
        if self._solution is None:
            raise EdgeSdkError("MediaPipePoseBackend is closed")
        frame = check_frame(frame)
        h, w = frame.shape[:2]
        t0 = time.perf_counter()
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        t1 = time.perf_counter()
        if self._loaded_landmark_model:
            found = self._solution.process(rgb).pose_landmarks
        else:  # the landmark model loads (and logs) at the first detection
            with quiet_stderr():
                found = self._solution.process(rgb).pose_landmarks
            self._loaded_landmark_model = found is not None
        t2 = time.perf_counter()
        poses: tuple[Pose, ...] = ()
        if found is not None:
            lm = np.array([(p.x * w, p.y * h, p.z * w, p.visibility) for p in found.landmark], dtype=np.float32)
            scores, score = keypoint_scores(lm[_COCO, 3])
            if score >= self.min_pose_score:
                poses = (Pose(keypoints=lm[_COCO, :2], scores=scores, score=score, backend=self.name, landmarks=lm),)
        t3 = time.perf_counter()
        return PoseOutput(poses, StageTimings((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3))

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "mediapipe_version": self._mp_version,
            "model_complexity": self.mediapipe.model_complexity,
            "models": {k: {"path": str(p), "sha256": _sha256(str(p))} for k, p in self.model_paths.items()},
            "min_detection_confidence": self.mediapipe.min_detection_confidence,
            "min_tracking_confidence": self.mediapipe.min_tracking_confidence,
            "min_pose_score": self.min_pose_score,
            "tracking": self.track,
        }

    def close(self) -> None:
        if self._solution is not None:
            self._solution.close()
            self._solution = None

    def __enter__(self) -> "MediaPipePoseBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
