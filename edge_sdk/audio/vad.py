"""Voice activity detection: cut a 16 kHz stream into utterances for the recogniser.

Default: Silero VAD v6.2 (a trained model, :mod:`edge_sdk.audio.silero`); ``VadOptions(method="energy")``
selects the older energy + spectral detector (:mod:`edge_sdk.audio.energy_vad`). Both stream
(:meth:`VoiceActivityDetector.push` any chunk size) and run on whole files (:func:`find_utterances`).
"""

from __future__ import annotations

import numpy as np

from ..config import VadOptions
from .utterance import Utterance, merge_utterances

__all__ = ["VadOptions", "Utterance", "VoiceActivityDetector", "find_utterances", "merge_utterances"]


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

    def take_tentative(self) -> Utterance | None:
        """Silero with ``early_s``: the open utterance at its latest pause, once (else None)."""
        take = getattr(self._impl, "take_tentative", None)
        return take() if take is not None else None


def find_utterances(audio: np.ndarray, options: VadOptions | None = None, t0_s: float = 0.0) -> list[Utterance]:
    """All utterances of a whole 16 kHz mono float32 recording."""
    vad = VoiceActivityDetector(options, t0_s)
    return vad.push(audio) + vad.flush()
