"""Voice activity detection: cut a 16 kHz stream into utterances for the recogniser.

One segmenter (:class:`~edge_sdk.audio.segmenter.UtteranceSegmenter`) over per-frame speech probabilities
from a scorer chosen by ``VadOptions.method``: Silero VAD v6.2 (the default, a trained model,
:mod:`edge_sdk.audio.silero`) or the energy + spectral detector (:mod:`edge_sdk.audio.energy_vad`). Both
stream (:meth:`VoiceActivityDetector.push` any chunk size) and run on whole files (:func:`find_utterances`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..config import VadOptions
from .segmenter import FrameScorer, UtteranceSegmenter
from .utterance import Utterance, merge_utterances

__all__ = ["VadOptions", "Utterance", "VoiceActivityDetector", "find_utterances", "merge_utterances", "SCORERS",
           "make_scorer"]


def _silero(options: VadOptions) -> FrameScorer:
    from .silero import SileroModel

    return SileroModel(options.silero.model, options.silero.model_sha256)


def _energy(options: VadOptions) -> FrameScorer:
    from .energy_vad import EnergyScorer

    return EnergyScorer(options.energy)


SCORERS: dict[str, Callable[[VadOptions], FrameScorer]] = {"silero": _silero, "energy": _energy}


def make_scorer(options: VadOptions) -> FrameScorer:
    """The frame scorer of ``options.method``. Silero: a missing or corrupt model raises
    ``ModelNotFoundError`` / ``ModelIntegrityError`` (never a silent fallback to another method)."""
    return SCORERS[options.method](options)


class VoiceActivityDetector(UtteranceSegmenter):
    """The segmenter on the scorer of ``options.method``: :meth:`push` 16 kHz mono float32 chunks (any size),
    get finished :class:`Utterance` s; ``t0_s`` is the stream time of the first sample pushed."""

    def __init__(self, options: VadOptions | None = None, t0_s: float = 0.0) -> None:
        options = options or VadOptions()
        super().__init__(make_scorer(options), options, t0_s)


def find_utterances(audio: np.ndarray, options: VadOptions | None = None, t0_s: float = 0.0) -> list[Utterance]:
    """All utterances of a whole 16 kHz mono float32 recording."""
    vad = VoiceActivityDetector(options, t0_s)
    return vad.push(audio) + vad.flush()
