"""edge_sdk: on-device pose, stream action recognition and speech-to-text.

    from edge_sdk import EdgeAnalyzer
    with EdgeAnalyzer() as analyzer:
        result = analyzer.process_frame(bgr_frame)   # FrameResult with poses in pixel coordinates
"""

from ._version import __version__
from .analyzer import EdgeAnalyzer
from .config import (
    ActionOptions,
    AnalyzerConfig,
    AsrOptions,
    MediaPipeOptions,
    ModelAsset,
    OneEuroOptions,
    PoseOptions,
    RunningMode,
)
from .errors import (
    AudioFormatError,
    BackendUnavailableError,
    ConfigError,
    EdgeSdkError,
    InvalidFrameError,
    ModelIntegrityError,
    ModelLoadError,
    ModelNotFoundError,
    RuntimeUnavailableError,
    SourceError,
)
from .results import (
    BLAZEPOSE_LANDMARKS,
    COCO_KEYPOINTS,
    ActionPrediction,
    Event,
    FrameResult,
    Keypoint,
    Pose,
    StageTimings,
    TranscriptSegment,
)

__all__ = [
    "__version__",
    "EdgeAnalyzer",
    "AnalyzerConfig",
    "ModelAsset",
    "PoseOptions",
    "MediaPipeOptions",
    "OneEuroOptions",
    "AsrOptions",
    "ActionOptions",
    "RunningMode",
    "FrameResult",
    "Pose",
    "Keypoint",
    "StageTimings",
    "ActionPrediction",
    "TranscriptSegment",
    "Event",
    "COCO_KEYPOINTS",
    "BLAZEPOSE_LANDMARKS",
    "EdgeSdkError",
    "ConfigError",
    "ModelNotFoundError",
    "ModelIntegrityError",
    "ModelLoadError",
    "RuntimeUnavailableError",
    "BackendUnavailableError",
    "InvalidFrameError",
    "AudioFormatError",
    "SourceError",
]
