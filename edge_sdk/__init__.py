"""edge_sdk: on-device pose, stream action recognition and speech-to-text.

    from edge_sdk import EdgeAnalyzer
    with EdgeAnalyzer() as analyzer:
        result = analyzer.process_frame(bgr_frame)   # FrameResult with poses in pixel coordinates

The names here are the ones most programs need, grouped like the package: the analyzer and its runs,
configuration, results, sources, sinks, speech-to-text on its own, errors. Everything else lives in
its module: stages (:mod:`edge_sdk.stages`), more sinks (:mod:`edge_sdk.sinks`), sources
(:mod:`edge_sdk.video.sources`, :mod:`edge_sdk.audio.sources`), every error (:mod:`edge_sdk.errors`),
zones (:mod:`edge_sdk.zones`), profiles (:mod:`edge_sdk.profiles`), drawing (:mod:`edge_sdk.video.draw`).
"""

from ._version import __version__
from .analyzer import EdgeAnalyzer
from .audio.backends import open_recognizer
from .audio.capture import MicrophoneSource
from .audio.signal import read_wav
from .audio.sources import WavSource
from .config import ActionOptions, AnalyzerConfig, AsrOptions, ModelAsset, PoseOptions, VadOptions
from .errors import ConfigError, EdgeSdkError, InvalidFrameError, ModelNotFoundError, SourceError
from .jobs import analyze_file, analyze_live
from .loop import run
from .profiles import get_profile
from .results import ActionPrediction, Event, FrameResult, Pose, TranscriptSegment
from .sinks import CallbackSink, Sink, TimelineSink
from .video.sources import CaptureSource, VideoFileSource

__all__ = [
    "__version__",
    # the analyzer and its runs
    "EdgeAnalyzer", "run", "analyze_file", "analyze_live",
    # configuration
    "AnalyzerConfig", "ModelAsset", "PoseOptions", "ActionOptions", "AsrOptions", "VadOptions", "get_profile",
    # results
    "FrameResult", "Pose", "ActionPrediction", "TranscriptSegment", "Event",
    # sources
    "CaptureSource", "VideoFileSource", "MicrophoneSource", "WavSource", "read_wav",
    # sinks
    "Sink", "TimelineSink", "CallbackSink",
    # speech-to-text on its own
    "open_recognizer",
    # errors (all of them: edge_sdk.errors)
    "EdgeSdkError", "ConfigError", "ModelNotFoundError", "InvalidFrameError", "SourceError",
]  # fmt: skip
