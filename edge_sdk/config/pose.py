"""Pose stage options: the model, smoothing, tracking, motion states, the MediaPipe fallback."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from .common import POSE_BACKEND_CHOICES, POSE_BACKENDS, VIDEO_POSE_MODEL, ModelAsset, _check_backend, _check_choice


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
        recover_radius: a confident detection left unmatched continues a confirmed track lost since
            before the previous frame (instead of starting a new one) when its box centre is within
            this many of the track's box heights of where the track's speed puts the person now, plus
            ``recover_growth`` box heights per second lost, and its box height is within
            ``recover_size`` times the track's: a person hidden for a moment (behind another, or
            missed by the detector) keeps their ID. 0 turns it off.
        recover_growth: box heights per second lost added to ``recover_radius`` (the prediction drifts).
        recover_size: largest ratio between the detection's and the track's box heights (>= 1).

    Each tracked person's keypoints are smoothed by the pose options' ``smoothing`` (a tracker of your
    own: ``PoseTracker(options, smoothing=...)``).
    """

    match_threshold: float = 0.2
    new_track_score: float = 0.2
    min_hits: int = 2
    max_lost_s: float = 1.5
    min_keypoint_score: float = 0.3
    min_common_keypoints: int = 3
    velocity_smoothing: float = 0.5
    recover_radius: float = 0.5
    recover_growth: float = 0.5
    recover_size: float = 1.5

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
        if not (self.recover_radius >= 0 and self.recover_growth >= 0):
            raise ConfigError("TrackerOptions: recover_radius and recover_growth must be >= 0 box heights (0: off), "
                              f"got {self.recover_radius}, {self.recover_growth}")
        if not self.recover_size >= 1.0:
            raise ConfigError(f"TrackerOptions.recover_size must be >= 1, got {self.recover_size}")


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




@dataclass(frozen=True)
class PoseOptions:
    """Pose stage options.

    Attributes:
        asset: the MoveNet model: MultiPose (every person; the default, 256x192 landscape input:
            4:3 video fills it, wider frames are padded top and bottom; ``movenet-multipose-int8``
            is the 256x256 file for photos of any orientation) or single-person Lightning/Thunder
            (one person, crop tracking; for a one-user kiosk or fitness app).
        backend: ``movenet``, ``mediapipe``, ``auto``, or a pose backend you registered in
            :data:`edge_sdk.backends.BACKENDS`. ``auto`` tries ``prefer`` first and falls
            back to the other when its runtime, package or model file is missing (logged once and
            recorded in ``EdgeAnalyzer.describe()``); explicit names never fall back.
        prefer: first choice of ``auto``: ``movenet`` or ``mediapipe``.
        mediapipe: options of the MediaPipe backend.
        min_pose_score: poses with a lower mean keypoint score are not reported.
        crop_tracking: video/live modes: feed the model a square around the person of the previous
            frame (MoveNet smart cropping). Ignored in image mode.
        smoothing: video/live modes: One-Euro keypoint filter options, or None for raw keypoints
            (per person when tracking: the one smoothing setting). Ignored in image mode.
        tracking: video/live modes with a multi-person model: person tracking (IDs, enter/leave
            events), or None.
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
        _check_backend("PoseOptions.backend", "pose", self.backend, POSE_BACKEND_CHOICES)
        _check_choice("PoseOptions.prefer", self.prefer, POSE_BACKENDS)
        if not 0.0 <= self.min_pose_score <= 1.0:
            raise ConfigError(f"PoseOptions.min_pose_score must be in [0, 1], got {self.min_pose_score}")


