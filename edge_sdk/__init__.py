"""edge_sdk: on-device pose, stream action recognition and speech-to-text.

    from edge_sdk import EdgeAnalyzer
    with EdgeAnalyzer() as analyzer:
        result = analyzer.process_frame(bgr_frame)   # FrameResult with poses in pixel coordinates

Everything the README uses is importable from here. Architecture: stages (:mod:`edge_sdk.stages`)
do the work, sinks (:mod:`edge_sdk.sinks`) receive events and frames, sources (``VideoSource`` /
``AudioSource``) deliver input, :func:`run` drives sources through an :class:`EdgeAnalyzer`.
"""

from ._version import __version__
from .analyzer import EdgeAnalyzer
from .audio.backends import open_recognizer
from .audio.capture import AudioChunk, MicrophoneSource
from .audio.ct2_whisper import Ct2WhisperBackend
from .audio.signal import read_wav, to_mono_16k
from .audio.sources import AudioSource, WavSource
from .audio.whisper_cpp import Transcript, WhisperCppBackend
from .config import (
    ActionOptions,
    AnalyzerConfig,
    AsrOptions,
    MediaPipeOptions,
    ModelAsset,
    OneEuroOptions,
    PoseOptions,
    RunningMode,
    TrackerOptions,
    VadOptions,
)
from .errors import (
    AudioFormatError,
    BackendUnavailableError,
    ClosedError,
    ConcurrentUseError,
    ConfigError,
    EdgeSdkError,
    InvalidArrayError,
    InvalidFrameError,
    ModelDownloadError,
    ModelIntegrityError,
    ModelLoadError,
    ModelNotFoundError,
    OutputError,
    RuntimeUnavailableError,
    SourceError,
)
from .jobs import analyze_file, analyze_live
from .loop import RunState, run
from .profiles import PROFILES, DeviceProfile, get_profile
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
from .sinks import AnnotatedVideoSink, CallbackSink, Sink, SummarySink, TimelineSink
from .stages import ActionStage, PoseStage, SpeechStage, Stage, StageInfo
from .video.draw import CaptionAnnotator, SkeletonAnnotator, TextAnnotator
from .video.sources import CapturedFrame, CaptureSource, MemorySource, ReplaySource, VideoFileSource, VideoSource

__all__ = [
    "__version__",
    # analyzer, run loop, jobs
    "EdgeAnalyzer", "run", "RunState", "analyze_file", "analyze_live",
    # options and profiles
    "AnalyzerConfig", "ModelAsset", "PoseOptions", "MediaPipeOptions", "OneEuroOptions", "AsrOptions",
    "VadOptions", "TrackerOptions", "ActionOptions", "RunningMode", "DeviceProfile", "PROFILES", "get_profile",
    # results
    "FrameResult", "Pose", "Keypoint", "StageTimings", "ActionPrediction", "TranscriptSegment", "Event",
    "COCO_KEYPOINTS", "BLAZEPOSE_LANDMARKS",
    # stages
    "Stage", "StageInfo", "PoseStage", "ActionStage", "SpeechStage",
    # sources
    "VideoSource", "CapturedFrame", "VideoFileSource", "CaptureSource", "ReplaySource", "MemorySource",
    "AudioSource", "AudioChunk", "MicrophoneSource", "WavSource", "read_wav", "to_mono_16k",
    # speech-to-text on its own
    "open_recognizer", "Ct2WhisperBackend", "WhisperCppBackend", "Transcript",
    # sinks and annotators
    "Sink", "TimelineSink", "AnnotatedVideoSink", "SummarySink", "CallbackSink",
    "SkeletonAnnotator", "TextAnnotator", "CaptionAnnotator",
    # errors
    "EdgeSdkError", "ConfigError", "ModelNotFoundError", "ModelIntegrityError", "ModelLoadError",
    "RuntimeUnavailableError", "BackendUnavailableError", "InvalidFrameError", "InvalidArrayError",
    "AudioFormatError", "SourceError", "ModelDownloadError", "ClosedError", "ConcurrentUseError", "OutputError",
]  # fmt: skip
