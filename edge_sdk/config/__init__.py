"""Options as frozen, nested dataclasses, validated at construction, one module per stage:
:mod:`~edge_sdk.config.pose`, :mod:`~edge_sdk.config.action`, :mod:`~edge_sdk.config.speech`,
:mod:`~edge_sdk.config.analyzer` (what runs), :mod:`~edge_sdk.config.common` (names, modes, model files)."""

from .action import DEFAULT_ACTION_MODEL, ActionOptions
from .analyzer import AnalyzerConfig
from .common import (
    ACTION_BACKENDS,
    ACTION_CROPS,
    ASR_WINDOWS,
    IMAGE_POSE_MODEL,
    POSE_BACKEND_CHOICES,
    POSE_BACKENDS,
    RUNTIME_CHOICES,
    SPEECH_BACKENDS,
    VAD_METHODS,
    VIDEO_POSE_MODEL,
    ModelAsset,
    RunningMode,
)
from .pose import MediaPipeOptions, MotionOptions, OneEuroOptions, PoseOptions, TrackerOptions
from .speech import DEFAULT_ASR_MODEL, LIVE_EARLY_S, AsrOptions, EnergyVadOptions, SileroOptions, VadOptions

__all__ = [
    "ModelAsset", "OneEuroOptions", "TrackerOptions", "MotionOptions", "MediaPipeOptions", "PoseOptions",
    "AsrOptions", "VadOptions", "SileroOptions", "EnergyVadOptions", "ActionOptions", "RunningMode", "AnalyzerConfig",
    "DEFAULT_ACTION_MODEL", "DEFAULT_ASR_MODEL", "VIDEO_POSE_MODEL", "IMAGE_POSE_MODEL", "LIVE_EARLY_S",
    "RUNTIME_CHOICES", "POSE_BACKENDS", "POSE_BACKEND_CHOICES", "ACTION_BACKENDS", "SPEECH_BACKENDS",
    "ASR_WINDOWS", "ACTION_CROPS", "VAD_METHODS",
]  # fmt: skip
