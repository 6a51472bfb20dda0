"""Action stage options: the MoViNet stream model, how it is fed, what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from .common import ACTION_BACKENDS, ACTION_CROPS, POOL_MODES, ModelAsset, _check_backend, _check_choice

DEFAULT_ACTION_MODEL = "movinet-a0-stream-k600-int8"


@dataclass(frozen=True)
class ActionOptions:
    """Action stage options (MoViNet stream models).

    Attributes:
        asset: the stream model (default: the Kinetics-600 MoViNet-A0 stream int8) or a path to a
            stream .tflite (an official MoViNet stream file or this SDK's split export).
        backend: an action backend of :data:`edge_sdk.backends.BACKENDS` (``movinet``, or one you registered).
        classifier: float classifier of a ``split`` model (name or path); None = from the manifest.
        labels: label file, one per line; None = from the manifest or next to the model file.
        actions: the actions to report (None = every class): names separated by commas, or a list,
            or ``@FILE`` (one per line); ``NAME=label|label`` reports several classes as one name
            (their probabilities added). Events fire only for these.
        top_k: predictions per frame (per person in per-person mode).
        sample_fps: model frames per second of video, picked by timestamp (None = the model's own
            rate from the manifest, 5 for the Kinetics-600 stream; every frame for models without one).
        frame_stride: without a rate: run the model on every n-th frame.
        pool_frames: official stream files (running pools in the graph): the pools average the last
            this many model frames, so the answer neither saturates nor decays on long streams;
            None = unbounded (the file's own behaviour).
        pool_mode: how: ``window`` (the exact mean of the last ``pool_frames`` frames, kept in float
            outside the graph and fed back as sum and count) or ``scaled`` (the in-graph sum and count
            scaled down together once the count passes ``pool_frames``: an exponentially weighted
            mean that the in-graph quantization of the sum distorts; ``window`` falls back to it on a
            runtime that cannot keep intermediate tensors).
        window_frames: split models: average the last n processed frames; None = since the last reset.
        ema: smoothing of class probabilities between processed frames, in [0, 1) (0 = off).
        reset_on_shot_change: start a new stream at a cut (colour-histogram distance > shot_threshold).
        shot_threshold: in (0, 1].
        crop: ``center`` (largest centred square) or ``letterbox`` (whole frame, aspect kept, padded).
        per_person: one stream per tracked person, on a square crop around their box (needs the pose
            stage); states are kept by track ID and dropped when the ID leaves.
        max_people: per-person mode: streams for at most this many people (the largest boxes).
        person_margin: per-person mode: the crop's side in lengths of the person box's longer side
            (>= 1). Kinetics clips show the person with their surroundings, so a crop with context
            answers better than a tight one (arm wrestling: 85% of person answers right at 3, 25% at 1.25).
        start_score / end_score: ``action_start`` when an action's score reaches ``start_score``;
            ``action_end`` when it falls below ``end_score`` (hysteresis: end < start).
    """

    asset: ModelAsset = field(default_factory=lambda: ModelAsset(DEFAULT_ACTION_MODEL, num_threads=1))
    backend: str = "movinet"
    classifier: str | None = None
    labels: str | None = None
    actions: str | tuple[str, ...] | None = None
    top_k: int = 3
    sample_fps: float | None = None
    frame_stride: int = 1
    pool_frames: int | None = 100
    pool_mode: str = "window"
    window_frames: int | None = None
    ema: float = 0.0
    reset_on_shot_change: bool = True
    shot_threshold: float = 0.5
    crop: str = "center"
    per_person: bool = False
    max_people: int = 4
    person_margin: float = 3.0
    start_score: float = 0.5
    end_score: float = 0.3

    def __post_init__(self) -> None:
        _check_backend("ActionOptions.backend", "action", self.backend, ACTION_BACKENDS)
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
        if not self.person_margin >= 1.0:
            raise ConfigError(f"ActionOptions.person_margin must be >= 1 (box lengths), got {self.person_margin}")
        if not 0.0 <= self.end_score < self.start_score <= 1.0:
            raise ConfigError("ActionOptions: need 0 <= end_score < start_score <= 1, got "
                              f"{self.end_score} / {self.start_score}")
        if isinstance(self.actions, list):
            object.__setattr__(self, "actions", tuple(self.actions))
        _check_choice("ActionOptions.crop", self.crop, ACTION_CROPS)
        _check_choice("ActionOptions.pool_mode", self.pool_mode, POOL_MODES)


