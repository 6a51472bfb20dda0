"""Which speech-to-text backend runs a model: CTranslate2 for CTranslate2 Whisper models (the default,
``whisper-tiny.en-ct2``), whisper.cpp for ggml files. Chosen from the model, never from a guess at run time."""

from __future__ import annotations

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


def open_recognizer(options: AsrOptions | None = None) -> UtteranceRecognizer:
    """The backend for ``options.asset.model``, loaded and checked (see :func:`backend_for`)."""
    options = options or AsrOptions()
    if backend_for(options.asset.model) == "ctranslate2":
        from .ct2_whisper import Ct2WhisperBackend

        return Ct2WhisperBackend(options)
    from .whisper_cpp import WhisperCppBackend

    return WhisperCppBackend(options)
