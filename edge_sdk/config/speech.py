"""Speech options: the recogniser, the segmenter and its frame scorers (Silero, energy)."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field, replace
from typing import Any

from ..errors import ConfigError
from .common import ASR_WINDOWS, SPEECH_BACKENDS, VAD_METHODS, ModelAsset, _check_backend, _check_choice

# Live streams: offer the open utterance to the recogniser after 0.15 s of silence. Measured on 14 real clean
# clips played at real-time pace in 100 ms blocks (device_bench/asr_bench.py --live, 2 threads, quiet machine):
# end of speech -> transcript p50 0.49 s / p95 0.79 s vs 0.65 / 0.95 s without, WER 2.8% vs 2.4%; 0.10 s gave
# 0.52 s with twice the decodes in vain (21 vs 11).
LIVE_EARLY_S = 0.15


@dataclass(frozen=True)
class SileroOptions:
    """The Silero VAD scorer (``VadOptions(method="silero")``, the default).

    model: Silero ONNX model: manifest name or path (checked: sha256, ONNX inputs).
    model_sha256: expected sha256 when ``model`` is a path.
    """

    model: str = "silero-vad-v6.2"
    model_sha256: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError(f"SileroOptions.model must be a model name or path, got {self.model!r}")


@dataclass(frozen=True)
class EnergyVadOptions:
    """The energy + spectral scorer (``VadOptions(method="energy")``; see edge_sdk.audio.energy_vad).

    margin_db: a speech frame is this much louder than the adaptive noise floor (dB).
    min_level_db: and louder than this absolute level (dBFS, sine peak = 0).
    max_flatness: spectral flatness below this (noise is flat, speech is not), in (0, 1].
    min_band_ratio: share of the energy in 150-4000 Hz above this, in [0, 1].
    """

    margin_db: float = 10.0
    min_level_db: float = -50.0
    max_flatness: float = 0.45
    min_band_ratio: float = 0.6

    def __post_init__(self) -> None:
        if not (self.margin_db >= 0 and self.min_level_db <= 0 and 0 < self.max_flatness <= 1
                and 0 <= self.min_band_ratio <= 1):
            raise ConfigError("EnergyVadOptions: need margin_db >= 0, min_level_db <= 0, 0 < max_flatness <= 1, "
                              f"0 <= min_band_ratio <= 1; got {self.margin_db}, {self.min_level_db}, "
                              f"{self.max_flatness}, {self.min_band_ratio}")


# Keywords VadOptions took before the scorer options had their own classes: accepted at construction.
_SILERO_KEYS = ("model", "model_sha256")
_ENERGY_KEYS = ("margin_db", "min_level_db", "max_flatness", "min_band_ratio")


@dataclass(frozen=True)
class VadOptions:
    """Voice activity detection: a scorer gives each frame a speech probability, one segmenter
    (edge_sdk.audio.segmenter) turns those into utterances. Attributes (seconds unless noted):

    method: the scorer: ``silero`` (default, trained model, 32 ms frames) or ``energy`` (30 ms frames,
        0 or 1 per frame).
    threshold: a frame with this speech probability or more opens / continues speech.
    neg_threshold: below this a frame counts as silence (between the two: continues what was).
    hangover_s: silence that ends an utterance (live latency: the transcript comes this much after the
        last word, plus the decode).
    min_speech_s: utterances with less speech than this are dropped (clicks, coughs).
    pre_roll_s / post_roll_s: audio kept before the first / after the last speech frame.
    max_utterance_s: longer speech is split at its least speech-like frame (the recogniser's window is 30 s).
    merge_gap_s: utterances this close are joined (<= ``max_utterance_s``) and decoded together; 0: off.
        A finished utterance then waits up to ``merge_gap_s`` + ``pre_roll_s`` for the next, so live streams
        (:meth:`for_live`) set 0. On the real-speech corpus 1 s gave 5.86% WER vs 6.88% with 0 (1 thread,
        device_bench/asr_bench.py).
    early_s: live streams (``merge_gap_s`` 0): after this much silence the open utterance is offered for transcription
        ahead of its end; when no speech follows before ``hangover_s``, that text is the transcript, so it
        comes ``hangover_s`` after the last word instead of ``hangover_s`` + the decode (one wasted decode
        per pause between ``early_s`` and ``hangover_s``). None: off. Utterances are the same either way.
    silero: :class:`SileroOptions` (model file); energy: :class:`EnergyVadOptions` (levels).

    The scorers' former keywords (``model``, ``model_sha256``, ``margin_db``, ``min_level_db``,
    ``max_flatness``, ``min_band_ratio``) are still accepted here and go to ``silero`` / ``energy``.
    Defaults chosen with Silero on the real-speech corpus (conversion/speech_corpus.py: asterisk prompts,
    alsa voice clips, jfk, their noisy variants; tests/test_vad.py, device_bench/asr_bench.py).
    """

    method: str = "silero"
    threshold: float = 0.5
    neg_threshold: float = 0.35
    hangover_s: float = 0.3
    min_speech_s: float = 0.25
    pre_roll_s: float = 0.3
    post_roll_s: float = 0.25
    max_utterance_s: float = 20.0
    merge_gap_s: float = 1.0
    early_s: float | None = None
    silero: SileroOptions = field(default_factory=SileroOptions)
    energy: EnergyVadOptions = field(default_factory=EnergyVadOptions)
    model: InitVar[str | None] = None
    model_sha256: InitVar[str | None] = None
    margin_db: InitVar[float | None] = None
    min_level_db: InitVar[float | None] = None
    max_flatness: InitVar[float | None] = None
    min_band_ratio: InitVar[float | None] = None

    @classmethod
    def for_live(cls, **changes: Any) -> "VadOptions":
        """Defaults for a microphone or other live stream: ``early_s`` = :data:`LIVE_EARLY_S`, no merging
        (a transcript comes ``hangover_s`` after the last word, not after the next utterance)."""
        return cls(**{"early_s": LIVE_EARLY_S, "merge_gap_s": 0.0, **changes})

    def __post_init__(self, model: str | None, model_sha256: str | None, margin_db: float | None,
                      min_level_db: float | None, max_flatness: float | None, min_band_ratio: float | None) -> None:
        given = dict(zip(_SILERO_KEYS + _ENERGY_KEYS, (model, model_sha256, margin_db, min_level_db, max_flatness,
                                                       min_band_ratio)))
        for name, cls_, keys in (("silero", SileroOptions, _SILERO_KEYS), ("energy", EnergyVadOptions, _ENERGY_KEYS)):
            if not isinstance(getattr(self, name), cls_):
                raise ConfigError(f"VadOptions.{name} must be a {cls_.__name__}, got {type(getattr(self, name)).__name__}")
            legacy = {k: given[k] for k in keys if given[k] is not None}
            if legacy:
                object.__setattr__(self, name, replace(getattr(self, name), **legacy))
        _check_choice("VadOptions.method", self.method, VAD_METHODS)
        if not 1.0 <= self.max_utterance_s <= 29.0:
            raise ConfigError(f"VadOptions.max_utterance_s must be in [1, 29] s, got {self.max_utterance_s}")
        for name in ("hangover_s", "min_speech_s", "pre_roll_s", "post_roll_s", "merge_gap_s"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"VadOptions.{name} must be >= 0, got {getattr(self, name)}")
        if self.early_s is not None and not 0.0 < self.early_s < self.hangover_s:
            raise ConfigError(f"VadOptions.early_s must be in (0, hangover_s={self.hangover_s}) s or None, got {self.early_s}")
        if self.early_s is not None and self.merge_gap_s > 0:
            raise ConfigError(f"VadOptions.early_s is for live streams, which do not merge utterances: set merge_gap_s=0 "
                              f"(VadOptions.for_live()), got merge_gap_s={self.merge_gap_s}")
        if not 0.0 < self.neg_threshold <= self.threshold < 1.0:
            raise ConfigError(f"VadOptions: need 0 < neg_threshold <= threshold < 1, got {self.neg_threshold}, {self.threshold}")


# The default speech-to-text model: CTranslate2 int8 with the fitted window. On the real-speech corpus
# (43 clips, 1 thread, ``python -m device_bench.asr_bench --all-clips --threads 1``) it ran faster and as
# accurately as whisper.cpp q8_0 with the same window policy (figures in README "Speech to text").
DEFAULT_ASR_MODEL = "whisper-tiny.en-ct2"


@dataclass(frozen=True)
class AsrOptions:
    """Speech-to-text options.

    Attributes:
        asset: the model: ``whisper-tiny.en-ct2`` (default, CTranslate2 int8), a whisper.cpp ggml model
            (``whisper-tiny.en-q8_0`` ...), or a path to a CTranslate2 Whisper directory or a ggml file;
            the backend follows the model (:func:`edge_sdk.audio.backends.open_recognizer`).
        backend: a speech backend of :data:`edge_sdk.backends.BACKENDS` (``ctranslate2``, ``whisper.cpp``
            or one you registered); None (default) = the one the model's format needs.
        language: ISO code; None = ``en`` for English-only models, auto-detect for multilingual ones.
        vad: voice activity detection; whisper only runs on speech.
        window: ``fit`` encodes only the audio an utterance needs (re-decoding with the full window if the
            output looks broken); ``full`` always encodes whisper's 30 s window.
        window_margin_s: audio context added to the utterance length in ``fit`` mode (windows are rounded up to
            256 frames = 5.1 s anyway; on the real-speech corpus 0 s gave 6.10% WER at 13.65x real time, 1 s
            6.16% at 13.26x, 1 thread, ``asr_bench --all-clips --window-sweep 512:0``).
        min_window_frames: ``fit`` mode: the shortest window, encoder frames (50 per second; 256, 512, 768,
            1024 or 1280; default 512 = 10.2 s): shorter is faster on short utterances, less accurate.
        min_tokens / tokens_per_s: token budget of a ``fit`` decode: min_tokens + tokens_per_s * seconds.
        retry_below_logprob: ``fit`` mode: re-decode with the full window when the mean log-probability
            of the output tokens is below this (the model is unsure); None (default) = retry only on
            broken output. Clear speech decodes at about -0.15 (jfk.wav); on robotic espeak voices -0.4
            retried a third of the clips at half the speed without lowering the WER (asr_bench).
    """

    asset: ModelAsset = field(default_factory=lambda: ModelAsset(DEFAULT_ASR_MODEL))
    backend: str | None = None
    language: str | None = None
    vad: VadOptions = field(default_factory=VadOptions)
    window: str = "fit"
    window_margin_s: float = 0.0
    min_window_frames: int = 512
    min_tokens: int = 16
    tokens_per_s: float = 8.0
    retry_below_logprob: float | None = None
    merge_gap_s: InitVar[float | None] = None  # its former place: accepted, goes to vad.merge_gap_s

    def __post_init__(self, merge_gap_s: float | None) -> None:
        if not isinstance(self.vad, VadOptions):
            raise ConfigError(f"AsrOptions.vad must be a VadOptions, got {type(self.vad).__name__}")
        if merge_gap_s is not None:
            object.__setattr__(self, "vad", replace(self.vad, merge_gap_s=merge_gap_s))
        if self.backend is not None:
            _check_backend("AsrOptions.backend", "speech", self.backend, SPEECH_BACKENDS)
        _check_choice("AsrOptions.window", self.window, ASR_WINDOWS)
        if self.window_margin_s < 0 or self.min_tokens < 1 or self.tokens_per_s <= 0:
            raise ConfigError("AsrOptions: window_margin_s must be >= 0, min_tokens >= 1, tokens_per_s > 0")
        if not (256 <= self.min_window_frames <= 1280 and self.min_window_frames % 256 == 0):
            raise ConfigError(f"AsrOptions.min_window_frames: a multiple of 256 in [256, 1280], got {self.min_window_frames}")


