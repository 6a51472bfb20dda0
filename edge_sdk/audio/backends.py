"""Which speech-to-text backend runs a model: CTranslate2 for CTranslate2 Whisper models (the default,
``whisper-tiny.en-ct2``), whisper.cpp for ggml files. Chosen from the model (or ``AsrOptions.backend``),
never from a guess at run time; both are in :data:`edge_sdk.backends.BACKENDS`."""

from __future__ import annotations

from ..backends import BACKENDS
from ..config import AsrOptions
from ..models import load_manifest
from .recognizer import UtteranceRecognizer

__all__ = ["open_recognizer", "backend_for"]


def backend_for(model: str) -> str:
    """``ctranslate2`` or ``whisper.cpp`` for a manifest name or a path."""
    manifest = load_manifest()
    if model in manifest:
        return "ctranslate2" if manifest[model].params.get("format") == "ct2" else "whisper.cpp"
    from .ct2_whisper import is_ct2_model

    return "ctranslate2" if is_ct2_model(model) else "whisper.cpp"


def _ct2(options: AsrOptions) -> UtteranceRecognizer:
    from .ct2_whisper import Ct2WhisperBackend

    return Ct2WhisperBackend(options)


def _whisper_cpp(options: AsrOptions) -> UtteranceRecognizer:
    from .whisper_cpp import WhisperCppBackend

    return WhisperCppBackend(options)


BACKENDS.register("speech", "ctranslate2", _ct2)
BACKENDS.register("speech", "whisper.cpp", _whisper_cpp)


def open_recognizer(options: AsrOptions | None = None) -> UtteranceRecognizer:
    """The backend ``options.backend`` names, or the one for ``options.asset.model`` (see
    :func:`backend_for`), loaded and checked."""
    options = options or AsrOptions()
    return BACKENDS.create("speech", options.backend or backend_for(options.asset.model), options)
