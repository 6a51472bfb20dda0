"""What every option module shares: the accepted names, the running mode, a model file reference."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..backends import BACKENDS
from ..errors import ConfigError

# The names options accept: config validation and the CLI's choices both use these.
RUNTIME_CHOICES = ("auto", "ai_edge_litert", "tflite_runtime", "tensorflow")  # keys of edge_sdk.runtime.RUNTIMES
# The built-in backends of each kind (edge_sdk.backends.BACKENDS registers them when their package loads).
POSE_BACKENDS = ("movenet", "mediapipe")
POSE_BACKEND_CHOICES = POSE_BACKENDS + ("auto",)
ACTION_BACKENDS = ("movinet",)
SPEECH_BACKENDS = ("ctranslate2", "whisper.cpp")
ASR_WINDOWS = ("fit", "full")
ACTION_CROPS = ("center", "letterbox")
POOL_MODES = ("window", "scaled")  # ActionOptions.pool_mode (edge_sdk.action.stream_pools)
VAD_METHODS = ("silero", "energy")
# Default MultiPose files: landscape 256x192 for video and live (4:3 frames fill it: the people scale
# of the 256x256 file at 3/4 of its pixels), 256x256 for photos of any orientation (`edge-sdk pose`).
VIDEO_POSE_MODEL = "movenet-multipose-int8-256x192"
IMAGE_POSE_MODEL = "movenet-multipose-int8"


def _check_choice(where: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise ConfigError(f"{where} must be one of {list(choices)}, got {value!r}")


def _check_backend(where: str, kind: str, value: object, builtins: tuple) -> None:
    """``value`` names a built-in backend or one registered in :data:`edge_sdk.backends.BACKENDS`."""
    _check_choice(where, value, tuple(dict.fromkeys(builtins + BACKENDS.names(kind))))


class RunningMode(str, Enum):
    """How frames relate to each other.

    IMAGE: independent images (no temporal state). VIDEO: consecutive frames of one stream,
    timestamps must increase; a recorded source is read one frame ahead so the pose model works on the
    next frame meanwhile (``PoseOptions.lookahead``). LIVE: the stages behave as in VIDEO but never run
    ahead (a live frame is analysed as it comes, with the lowest latency); the source's drop policy
    (``CaptureSource(policy=...)``), not the analyzer, skips frames. :meth:`EdgeAnalyzer.frames
    <edge_sdk.EdgeAnalyzer.frames>` (how a source is read) and :meth:`EdgeAnalyzer.prefetch
    <edge_sdk.EdgeAnalyzer.prefetch>` are the one place that reads the mode for this.
    """

    IMAGE = "image"
    VIDEO = "video"
    LIVE = "live"


@dataclass(frozen=True)
class ModelAsset:
    """Which model file a stage loads and how.

    Attributes:
        model: manifest name (``edge-sdk models list``) or path to a model file.
        sha256: digest a file given by path must have (names are checked against the manifest).
        num_threads: inference threads; None = all cores.
        runtime: ``auto``, ``ai_edge_litert``, ``tflite_runtime`` or ``tensorflow``.
    """

    model: str
    sha256: str | None = None
    num_threads: int | None = None
    runtime: str = "auto"

    def __post_init__(self) -> None:
        if not str(self.model):
            raise ConfigError("ModelAsset.model must be a model name or a path, got an empty string")
        if self.num_threads is not None and int(self.num_threads) < 1:
            raise ConfigError(f"ModelAsset.num_threads must be >= 1 or None, got {self.num_threads}")
        _check_choice("ModelAsset.runtime", self.runtime, RUNTIME_CHOICES)


