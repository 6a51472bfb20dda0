"""Voice activity detection: cut a 16 kHz stream into utterances for the recogniser.

Default: Silero VAD v6.2 (a trained model, :mod:`edge_sdk.audio.silero`); ``VadOptions(method="energy")``
selects the older energy + spectral detector (:mod:`edge_sdk.audio.energy_vad`). Both stream
(:meth:`VoiceActivityDetector.push` any chunk size) and run on whole files (:func:`find_utterances`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .utterance import Utterance, merge_utterances

__all__ = ["VadOptions", "Utterance", "VoiceActivityDetector", "find_utterances", "merge_utterances"]

METHODS = ("silero", "energy")


@dataclass(frozen=True)
class VadOptions:
    """Attributes (seconds unless noted):
    method: ``silero`` (default, trained model) or ``energy``.
    model: Silero ONNX model: manifest name or path (checked: sha256, ONNX inputs).
    model_sha256: expected sha256 when ``model`` is a path.
    threshold: Silero speech probability that opens / continues speech.
    neg_threshold: below this a 32 ms frame counts as silence (between the two: continues what was).
    hangover_s: silence that ends an utterance (live latency: the transcript comes this much after the
        last word, plus the decode).
    min_speech_s: utterances with less speech than this are dropped (clicks, coughs).
    pre_roll_s / post_roll_s: audio kept before the first / after the last speech frame.
    max_utterance_s: longer speech is split at its least speech-like frame (the recogniser's window is 30 s).
    margin_db, min_level_db, max_flatness, min_band_ratio: ``energy`` method only (see energy_vad).

    Silero defaults chosen on the real-speech corpus (conversion/speech_corpus.py: asterisk prompts,
    alsa voice clips, jfk, their noisy variants; tests/test_vad.py, device_bench/asr_bench.py).
    """

    method: str = "silero"
    model: str = "silero-vad-v6.2"
    model_sha256: str | None = None
    threshold: float = 0.5
    neg_threshold: float = 0.35
    hangover_s: float = 0.3
    min_speech_s: float = 0.25
    pre_roll_s: float = 0.3
    post_roll_s: float = 0.25
    max_utterance_s: float = 20.0
    margin_db: float = 10.0
    min_level_db: float = -50.0
    max_flatness: float = 0.45
    min_band_ratio: float = 0.6

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"VadOptions.method must be one of {METHODS}, got {self.method!r}")
        if not 1.0 <= self.max_utterance_s <= 29.0:
            raise ConfigError(f"VadOptions.max_utterance_s must be in [1, 29] s, got {self.max_utterance_s}")
        for name in ("hangover_s", "min_speech_s", "pre_roll_s", "post_roll_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"VadOptions.{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 < self.neg_threshold <= self.threshold < 1.0:
            raise ConfigError(f"VadOptions: need 0 < neg_threshold <= threshold < 1, got {self.neg_threshold}, {self.threshold}")


class VoiceActivityDetector:
    """Incremental VAD: :meth:`push` 16 kHz mono float32 chunks (any size), get finished :class:`Utterance` s.

    ``t0_s`` is the stream time of the first sample pushed; utterance times are on that clock. With the
    Silero method a missing or corrupt model raises ``ModelNotFoundError`` / ``ModelIntegrityError``
    (never a silent fallback to another method).
    """

    def __init__(self, options: VadOptions | None = None, t0_s: float = 0.0) -> None:
        self.options = options or VadOptions()
        self.t0_s = float(t0_s)
        if self.options.method == "silero":
            from .silero import SileroSegmenter

            self._impl = SileroSegmenter(self.options, self.t0_s)
        else:
            from .energy_vad import EnergyVad

            self._impl = EnergyVad(self.options, self.t0_s)

    def push(self, chunk: np.ndarray) -> list[Utterance]:
        """Feed samples; returns the utterances that ended within them."""
        return self._impl.push(chunk)

    def flush(self) -> list[Utterance]:
        """End of stream: close the open utterance, if it holds enough speech."""
        return self._impl.flush()


def find_utterances(audio: np.ndarray, options: VadOptions | None = None, t0_s: float = 0.0) -> list[Utterance]:
    """All utterances of a whole 16 kHz mono float32 recording."""
    vad = VoiceActivityDetector(options, t0_s)
    return vad.push(audio) + vad.flush()
