"""Options as frozen, nested dataclasses, validated at construction."""

from __future__ import annotations

from dataclasses import InitVar, asdict, dataclass, field, replace
from enum import Enum
from typing import Any, Literal

from .errors import ConfigError
from .zones.options import ZoneOptions

__all__ = [
    "ModelAsset", "OneEuroOptions", "TrackerOptions", "MotionOptions", "MediaPipeOptions", "PoseOptions",
    "AsrOptions", "VadOptions", "SileroOptions", "EnergyVadOptions", "ActionOptions", "RunningMode", "AnalyzerConfig",
    "DEFAULT_ACTION_MODEL", "RUNTIME_CHOICES", "POSE_BACKENDS", "POSE_BACKEND_CHOICES", "ASR_WINDOWS", "ACTION_CROPS",
    "VAD_METHODS",
]  # fmt: skip

# The names options accept: config validation and the CLI's choices both use these.
RUNTIME_CHOICES = ("auto", "ai_edge_litert", "tflite_runtime", "tensorflow")  # keys of edge_sdk.runtime.RUNTIMES
POSE_BACKENDS = ("movenet", "mediapipe")  # keys of edge_sdk.pose.POSE_FACTORIES
POSE_BACKEND_CHOICES = POSE_BACKENDS + ("auto",)
ASR_WINDOWS = ("fit", "full")
ACTION_CROPS = ("center", "letterbox")
VAD_METHODS = ("silero", "energy")
# Default MultiPose files: landscape 256x192 for video and live (4:3 frames fill it: the people scale
# of the 256x256 file at 3/4 of its pixels), 256x256 for photos of any orientation (`edge-sdk pose`).
VIDEO_POSE_MODEL = "movenet-multipose-int8-256x192"
IMAGE_POSE_MODEL = "movenet-multipose-int8"


def _check_choice(where: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise ConfigError(f"{where} must be one of {list(choices)}, got {value!r}")


class RunningMode(str, Enum):
    """How frames relate to each other.

    IMAGE: independent images (no temporal state). VIDEO: consecutive frames of one stream,
    timestamps must increase. LIVE: the stages behave as in VIDEO; it records that frames come from a
    live source, whose drop policy (``CaptureSource(policy=...)``), not the analyzer, skips frames.
    """

    IMAGE = "image"
    VIDEO = "video"
    LIVE = "live"


@dataclass(frozen=True)
class ModelAsset:
    """Which model file a stage loads and how.

    Attributes:
        model: manifest name (``edge-sdk models list``) or path to a model file.
        sha256: digest a file given by path must have (names are checked against the manifest).
        num_threads: inference threads; None = all cores.
        runtime: ``auto``, ``ai_edge_litert``, ``tflite_runtime`` or ``tensorflow``.
    """

    model: str
    sha256: str | None = None
    num_threads: int | None = None
    runtime: str = "auto"

    def __post_init__(self) -> None:
        if not str(self.model):
            raise ConfigError("ModelAsset.model must be a model name or a path, got an empty string")
        if self.num_threads is not None and int(self.num_threads) < 1:
            raise ConfigError(f"ModelAsset.num_threads must be >= 1 or None, got {self.num_threads}")
        _check_choice("ModelAsset.runtime", self.runtime, RUNTIME_CHOICES)


@dataclass(frozen=True)
class OneEuroOptions:
    """Attributes:
    min_cutoff: cutoff frequency (Hz) when still; lower = smoother, more lag.
    beta: how fast the cutoff rises with speed (per frame-diagonal per second); higher = less lag.
    d_cutoff: cutoff (Hz) of the speed estimate.
    reset_jump: reset when the pose centre moves more than this fraction of the frame diagonal in one frame.
    """

    min_cutoff: float = 1.0
    beta: float = 20.0
    d_cutoff: float = 1.0
    reset_jump: float = 0.15

    def __post_init__(self) -> None:
        for name in ("min_cutoff", "d_cutoff", "reset_jump"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"OneEuroOptions.{name} must be > 0, got {getattr(self, name)}")
        if self.beta < 0:
            raise ConfigError(f"OneEuroOptions.beta must be >= 0, got {self.beta}")


@dataclass(frozen=True)
class TrackerOptions:
    """Person tracking across frames (:class:`edge_sdk.pose.tracking.PoseTracker`).

    Attributes:
        match_threshold: lowest similarity (OKS, or box IoU when few keypoints are shared) that
            continues a track.
        new_track_score: only poses scoring at least this start a track; weaker ones can only continue one.
        min_hits: frames in a row a new track must be matched before it gets an ID (filters one-frame
            false detections).
        max_lost_s: seconds a confirmed track that is not seen is kept (predicted) before it is
            reported as left; a person re-found within this keeps the ID.
        min_keypoint_score: keypoints scoring at least this count as visible.
        min_common_keypoints: fewer shared visible keypoints than this: compare boxes instead.
        velocity_smoothing: weight in (0, 1] of the newest box-centre speed in the motion estimate.
        smoothing: per-person One-Euro keypoint filter, or None for raw keypoints.
    """

    match_threshold: float = 0.2
    new_track_score: float = 0.2
    min_hits: int = 2
    max_lost_s: float = 1.5
    min_keypoint_score: float = 0.3
    min_common_keypoints: int = 3
    velocity_smoothing: float = 0.5
    smoothing: OneEuroOptions | None = field(default_factory=OneEuroOptions)

    def __post_init__(self) -> None:
        for name in ("match_threshold", "new_track_score", "min_keypoint_score"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"TrackerOptions.{name} must be in [0, 1], got {getattr(self, name)}")
        if self.min_hits < 1 or self.min_common_keypoints < 1:
            raise ConfigError("TrackerOptions: min_hits and min_common_keypoints must be >= 1, "
                              f"got {self.min_hits}, {self.min_common_keypoints}")
        if self.max_lost_s < 0:
            raise ConfigError(f"TrackerOptions.max_lost_s must be >= 0, got {self.max_lost_s}")
        if not 0.0 < self.velocity_smoothing <= 1.0:
            raise ConfigError(f"TrackerOptions.velocity_smoothing must be in (0, 1], got {self.velocity_smoothing}")


@dataclass(frozen=True)
class MotionOptions:
    """Per-person motion states (:mod:`edge_sdk.pose.motion`): the rules' named thresholds.

    Speeds in torso lengths per second, angles in degrees. Tuned on hand labels of vtest.avi frames
    0-399 (standing / walking); running, sitting and lying thresholds follow body geometry only.

    Attributes:
        window_s: sliding window of keypoint frames per person.
        min_window_s: no state until the window spans this long (a person just seen is ``None``).
        min_keypoint_score: keypoints below this are ignored.
        walk_enter / walk_exit: speed above which standing becomes walking / below which walking
            becomes standing (hysteresis).
        run_enter / run_exit: the same between walking and running.
        lying_torso_deg: torso at least this far from vertical = lying.
        sitting_thigh_deg: thighs at least this far from vertical (torso upright, slow) = sitting.
        sitting_max_speed: sitting only below this speed.
        hand_raise: wrist above its shoulder by this many torso lengths = hand raised.
        min_state_s: a candidate state must hold this long before it is adopted.
        min_lying_s: the same for lying (a bend to pick something up is not lying).
        fall_window_s: lying within this long after upright is a fall.
        forget_s: a person ID not seen for this long is dropped.
        max_gap_s: a person unseen for longer than this starts a new window (speed is not measured
            across a tracker gap).
        scale_window_s: the body scale is the median torso length over this long.
    """

    window_s: float = 1.0
    min_window_s: float = 0.5
    min_keypoint_score: float = 0.2
    walk_enter: float = 0.4
    walk_exit: float = 0.25
    run_enter: float = 4.0
    run_exit: float = 3.0
    lying_torso_deg: float = 60.0
    sitting_thigh_deg: float = 55.0
    sitting_max_speed: float = 0.5
    hand_raise: float = 0.25
    min_state_s: float = 0.8
    min_lying_s: float = 0.5
    fall_window_s: float = 2.0
    forget_s: float = 5.0
    max_gap_s: float = 0.5
    scale_window_s: float = 3.0

    def __post_init__(self) -> None:
        for name in ("window_s", "min_window_s", "min_state_s", "min_lying_s", "fall_window_s", "forget_s",
                     "max_gap_s", "scale_window_s"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"MotionOptions.{name} must be >= 0, got {getattr(self, name)}")
        if self.min_window_s > self.window_s:
            raise ConfigError(f"MotionOptions.min_window_s ({self.min_window_s}) must be <= window_s ({self.window_s})")
        if not 0 <= self.walk_exit <= self.walk_enter <= self.run_exit <= self.run_enter:
            raise ConfigError("MotionOptions: expected 0 <= walk_exit <= walk_enter <= run_exit <= run_enter, got "
                              f"{self.walk_exit}, {self.walk_enter}, {self.run_exit}, {self.run_enter}")
        if not 0 <= self.min_keypoint_score <= 1:
            raise ConfigError(f"MotionOptions.min_keypoint_score must be in [0, 1], got {self.min_keypoint_score}")


@dataclass(frozen=True)
class MediaPipeOptions:
    """MediaPipe Pose (BlazePose) options, used when the pose backend is ``mediapipe``.

    Attributes:
        model_complexity: 1 (``pose_landmark_full``, in the mediapipe 0.10.14 wheel). 0 (lite) and
            2 (heavy) need their .tflite placed in mediapipe/modules/pose_landmark/ by hand: they are
            not in the wheel and never downloaded.
        min_detection_confidence: person detector threshold.
        min_tracking_confidence: below this, video mode re-runs the detector.
    """

    model_complexity: int = 1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model_complexity not in (0, 1, 2):
            raise ConfigError(f"MediaPipeOptions.model_complexity must be 0, 1 or 2, got {self.model_complexity!r}")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"MediaPipeOptions.{name} must be in [0, 1], got {getattr(self, name)}")


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
        _check_choice("AsrOptions.window", self.window, ASR_WINDOWS)
        if self.window_margin_s < 0 or self.min_tokens < 1 or self.tokens_per_s <= 0:
            raise ConfigError("AsrOptions: window_margin_s must be >= 0, min_tokens >= 1, tokens_per_s > 0")
        if not (256 <= self.min_window_frames <= 1280 and self.min_window_frames % 256 == 0):
            raise ConfigError(f"AsrOptions.min_window_frames: a multiple of 256 in [256, 1280], got {self.min_window_frames}")


@dataclass(frozen=True)
class PoseOptions:
    """Pose stage options.

    Attributes:
        asset: the MoveNet model: MultiPose (every person; the default, 256x192 landscape input:
            4:3 video fills it, wider frames are padded top and bottom; ``movenet-multipose-int8``
            is the 256x256 file for photos of any orientation) or single-person Lightning/Thunder
            (one person, crop tracking; for a one-user kiosk or fitness app).
        backend: ``movenet``, ``mediapipe`` or ``auto``. ``auto`` tries ``prefer`` first and falls
            back to the other when its runtime, package or model file is missing (logged once and
            recorded in ``EdgeAnalyzer.describe()``); explicit names never fall back.
        prefer: first choice of ``auto``: ``movenet`` or ``mediapipe``.
        mediapipe: options of the MediaPipe backend.
        min_pose_score: poses with a lower mean keypoint score are not reported.
        crop_tracking: video/live modes: feed the model a square around the person of the previous
            frame (MoveNet smart cropping). Ignored in image mode.
        smoothing: video/live modes: One-Euro keypoint filter options, or None for raw keypoints
            (per person when tracking). Ignored in image mode.
        tracking: video/live modes with a multi-person model: person tracking (IDs, enter/leave
            events), or None. Its own ``smoothing`` is replaced by ``smoothing`` above.
        motion: with tracking: per-person motion states (``Pose.motion``, ``person_state`` / ``fall`` /
            ``hand_raised`` / ``hand_lowered`` events), or None.
        lookahead: recorded video run by :func:`edge_sdk.loop.run` (files, decoded frames): estimate
            the next frame on a second copy of the model while this one is finished, two copies with
            half the threads each (:mod:`edge_sdk.pose.lookahead`; the same poses, more frames per
            second on 2+ cores; the copies replace the model: one more in memory, ~25 MB for the
            default). Live sources never use it.
    """

    asset: ModelAsset = field(default_factory=lambda: ModelAsset(VIDEO_POSE_MODEL))
    backend: str = "movenet"
    prefer: str = "movenet"
    mediapipe: MediaPipeOptions = field(default_factory=MediaPipeOptions)
    min_pose_score: float = 0.2
    crop_tracking: bool = True
    smoothing: OneEuroOptions | None = field(default_factory=OneEuroOptions)
    tracking: TrackerOptions | None = field(default_factory=TrackerOptions)
    motion: MotionOptions | None = field(default_factory=MotionOptions)
    lookahead: bool = True

    def __post_init__(self) -> None:
        _check_choice("PoseOptions.backend", self.backend, POSE_BACKEND_CHOICES)
        _check_choice("PoseOptions.prefer", self.prefer, POSE_BACKENDS)
        if not 0.0 <= self.min_pose_score <= 1.0:
            raise ConfigError(f"PoseOptions.min_pose_score must be in [0, 1], got {self.min_pose_score}")


DEFAULT_ACTION_MODEL = "movinet-a0-stream-k600-int8"


@dataclass(frozen=True)
class ActionOptions:
    """Action stage options (MoViNet stream models).

    Attributes:
        asset: the stream model (default: the Kinetics-600 MoViNet-A0 stream int8) or a path to a
            stream .tflite (an official MoViNet stream file or this SDK's split export).
        classifier: float classifier of a ``split`` model (name or path); None = from the manifest.
        labels: label file, one per line; None = from the manifest or next to the model file.
        actions: the actions to report (None = every class): names separated by commas, or a list,
            or ``@FILE`` (one per line); ``NAME=label|label`` reports several classes as one name
            (their probabilities added). Events fire only for these.
        top_k: predictions per frame (per person in per-person mode).
        sample_fps: model frames per second of video, picked by timestamp (None = the model's own
            rate from the manifest, 5 for the Kinetics-600 stream; every frame for models without one).
        frame_stride: without a rate: run the model on every n-th frame.
        pool_frames: official stream files (running pools in the graph): the pools average at most
            this many model frames (an exponentially weighted mean beyond), so the answer neither
            saturates nor decays on long streams; None = unbounded (the file's own behaviour).
        window_frames: split models: average the last n processed frames; None = since the last reset.
        ema: smoothing of class probabilities between processed frames, in [0, 1) (0 = off).
        reset_on_shot_change: start a new stream at a cut (colour-histogram distance > shot_threshold).
        shot_threshold: in (0, 1].
        crop: ``center`` (largest centred square) or ``letterbox`` (whole frame, aspect kept, padded).
        per_person: one stream per tracked person, on a square crop around their box (needs the pose
            stage); states are kept by track ID and dropped when the ID leaves.
        max_people: per-person mode: streams for at most this many people (the largest boxes).
        start_score / end_score: ``action_start`` when an action's score reaches ``start_score``;
            ``action_end`` when it falls below ``end_score`` (hysteresis: end < start).
    """

    asset: ModelAsset = field(default_factory=lambda: ModelAsset(DEFAULT_ACTION_MODEL, num_threads=1))
    classifier: str | None = None
    labels: str | None = None
    actions: str | tuple[str, ...] | None = None
    top_k: int = 3
    sample_fps: float | None = None
    frame_stride: int = 1
    pool_frames: int | None = 100
    window_frames: int | None = None
    ema: float = 0.0
    reset_on_shot_change: bool = True
    shot_threshold: float = 0.5
    crop: str = "center"
    per_person: bool = False
    max_people: int = 4
    start_score: float = 0.5
    end_score: float = 0.3

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.frame_stride < 1 or (self.window_frames is not None and self.window_frames < 1):
            raise ConfigError("ActionOptions: top_k and frame_stride must be >= 1, window_frames >= 1 or None")
        if self.sample_fps is not None and not 0 < self.sample_fps <= 120:
            raise ConfigError(f"ActionOptions.sample_fps must be in (0, 120] frames per second or None, got {self.sample_fps}")
        if self.pool_frames is not None and self.pool_frames < 2:
            raise ConfigError(f"ActionOptions.pool_frames must be >= 2 or None, got {self.pool_frames}")
        if not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"ActionOptions.ema must be in [0, 1), got {self.ema}")
        if not 0.0 < self.shot_threshold <= 1.0:
            raise ConfigError(f"ActionOptions.shot_threshold must be in (0, 1], got {self.shot_threshold}")
        if self.max_people < 1:
            raise ConfigError(f"ActionOptions.max_people must be >= 1, got {self.max_people}")
        if not 0.0 <= self.end_score < self.start_score <= 1.0:
            raise ConfigError("ActionOptions: need 0 <= end_score < start_score <= 1, got "
                              f"{self.end_score} / {self.start_score}")
        if isinstance(self.actions, list):
            object.__setattr__(self, "actions", tuple(self.actions))
        _check_choice("ActionOptions.crop", self.crop, ACTION_CROPS)


@dataclass(frozen=True)
class AnalyzerConfig:
    """Configuration of an :class:`edge_sdk.EdgeAnalyzer`.

    Attributes:
        pose: pose stage options, or None to disable the stage.
        mode: :class:`RunningMode` (``image``, ``video`` or ``live``).
        asr: speech-to-text options, or None (default) to disable the stage.
        action: action recognition options, or None (default) to disable the stage. Needs
            video or live mode (a stream of frames).
        zones: zones and lines (:class:`edge_sdk.zones.ZoneOptions`), or None (default). Needs tracked people.
    """

    pose: PoseOptions | None = field(default_factory=PoseOptions)
    mode: RunningMode | Literal["image", "video", "live"] = RunningMode.VIDEO  # stored as RunningMode
    asr: AsrOptions | None = None
    action: ActionOptions | None = None
    zones: ZoneOptions | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "mode", RunningMode(self.mode))
        except ValueError:
            raise ConfigError(f"AnalyzerConfig.mode must be one of {[m.value for m in RunningMode]}, got {self.mode!r}") from None
        if self.action is not None and self.mode is RunningMode.IMAGE:
            raise ConfigError("the action stage needs a stream of frames: use mode 'video' or 'live', not 'image'")
        if self.action is not None and self.action.per_person and self.pose is None:
            raise ConfigError("per-person actions need the pose stage (it finds and tracks the people): set pose options")
        if self.zones is not None and (self.pose is None or self.pose.tracking is None or self.mode is RunningMode.IMAGE):
            raise ConfigError("zones and lines need tracked people: pose options with tracking, mode 'video' or 'live'")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mode"] = self.mode.value
        return d
