"""The edge_sdk exception tree.

Every error the SDK raises on purpose is an :class:`EdgeSdkError`. Subclasses also inherit
the builtin that fits (``ValueError`` for bad input, ``FileNotFoundError`` for a missing
model), so callers can catch either.
"""

from __future__ import annotations

__all__ = [
    "EdgeSdkError",
    "ModelNotFoundError",
    "ModelIntegrityError",
    "ModelLoadError",
    "RuntimeUnavailableError",
    "BackendUnavailableError",
    "InvalidFrameError",
    "AudioFormatError",
    "SourceError",
    "ConfigError",
    "ModelDownloadError",
    "ClosedError",
    "ConcurrentUseError",
    "InvalidArrayError",
    "OutputError",
]


class EdgeSdkError(Exception):
    """Base class of every error raised by edge_sdk."""


class ConfigError(EdgeSdkError, ValueError):
    """An option has a value the SDK cannot use (checked at construction)."""


class ModelNotFoundError(EdgeSdkError, FileNotFoundError):
    """A model name is unknown, or its file is neither shipped nor built yet."""


class ModelIntegrityError(EdgeSdkError, ValueError):
    """A model file exists but is not the file the manifest describes (sha256, size, magic)."""


class ModelLoadError(EdgeSdkError, RuntimeError):
    """A verified model file was rejected by the inference runtime."""


class RuntimeUnavailableError(EdgeSdkError, ImportError):
    """No TFLite runtime (ai-edge-litert, tflite-runtime, tensorflow) is installed."""


class BackendUnavailableError(EdgeSdkError, ImportError):
    """An optional backend's dependency is missing; the message names the extra to install."""


class InvalidFrameError(EdgeSdkError, ValueError):
    """A video frame is not an HxWx3 uint8 BGR image."""


class AudioFormatError(EdgeSdkError, ValueError):
    """Audio is not usable (empty, NaN/inf, wrong layout or rate)."""


class ModelDownloadError(EdgeSdkError, ConnectionError):
    """``edge-sdk models pull`` could not fetch a model's files (offline, index or server unreachable)."""


class SourceError(EdgeSdkError, RuntimeError):
    """A video or audio source could not be opened or stopped delivering."""


class ClosedError(EdgeSdkError, RuntimeError):
    """An analyzer, stage or source was used after ``close()``."""


class ConcurrentUseError(EdgeSdkError, RuntimeError):
    """A second thread called into an object that one thread at a time may use."""


class InvalidArrayError(EdgeSdkError, ValueError):
    """An array given to a result type (keypoints, scores, landmarks) has the wrong shape or is not finite."""


class OutputError(EdgeSdkError, OSError):
    """An output could not be written: the disk (an SD card) is full, or a file grew past a limit.
    The message names the file and the free space; what was already written stays readable."""
