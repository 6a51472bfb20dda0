"""Pose backends behind one protocol, chosen by name (with an explicit ``auto`` fallback policy)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from ..config import PoseOptions, RunningMode
from ..errors import BackendUnavailableError, ConfigError, ModelLoadError, ModelNotFoundError, RuntimeUnavailableError
from .base import PoseBackend, PoseOutput

__all__ = ["PoseBackend", "PoseOutput", "PoseSelection", "POSE_FACTORIES", "create_pose_backend", "select_pose_backend"]

log = logging.getLogger("edge_sdk")

# What "missing" means for the auto policy. A model that fails its checksum (ModelIntegrityError)
# is not missing: it is an error the user must see, so it never triggers a fallback.
FALLBACK_ERRORS = (ModelNotFoundError, RuntimeUnavailableError, BackendUnavailableError, ModelLoadError)


@dataclass(frozen=True)
class PoseSelection:
    """Which backend runs: ``requested`` (a name or ``auto``), ``chosen``, and why an ``auto``
    choice skipped its first preference (``fallback_reason``, None if it did not)."""

    backend: PoseBackend
    requested: str
    chosen: str
    fallback_reason: str | None = None

    def to_dict(self) -> dict:
        return {"requested": self.requested, "chosen": self.chosen, "fallback_reason": self.fallback_reason}


def _movenet(options: PoseOptions, track: bool) -> PoseBackend:
    from .movenet import MoveNetBackend

    return MoveNetBackend(options, track=track)


def _mediapipe(options: PoseOptions, track: bool) -> PoseBackend:
    from .mediapipe_pose import MediaPipePoseBackend

    return MediaPipePoseBackend(options, track=track)


# Backend name -> factory (options, crop tracking on?) -> Backend(options, track=...); the names are
# config.POSE_BACKENDS. Every backend is built the same way: ``Backend(options)``.
POSE_FACTORIES: dict[str, Callable[[PoseOptions, bool], PoseBackend]] = {"movenet": _movenet, "mediapipe": _mediapipe}


def create_pose_backend(options: PoseOptions, mode: RunningMode = RunningMode.IMAGE, name: str | None = None) -> PoseBackend:
    """Instantiate backend ``name`` (default ``options.backend``; not ``auto``); tracking only for video/live."""
    name = name or options.backend
    if name not in POSE_FACTORIES:
        raise ConfigError(f"unknown pose backend {name!r}: one of {sorted(POSE_FACTORIES)} (select_pose_backend for 'auto')")
    return POSE_FACTORIES[name](options, options.crop_tracking and RunningMode(mode) is not RunningMode.IMAGE)


def select_pose_backend(options: PoseOptions, mode: RunningMode = RunningMode.IMAGE) -> PoseSelection:
    """Apply the fallback policy: explicit names load or raise; ``auto`` tries ``options.prefer``
    first, then the other backend when the first one's package, runtime or model is missing
    (logged once as a warning). If both fail, the first error is raised with the second attached."""
    if options.backend != "auto":
        return PoseSelection(create_pose_backend(options, mode), options.backend, options.backend)
    first = options.prefer
    second = next(n for n in POSE_FACTORIES if n != first)
    try:
        return PoseSelection(create_pose_backend(options, mode, first), "auto", first)
    except FALLBACK_ERRORS as e:
        reason = f"{first} unavailable: {type(e).__name__}: {e}"
        try:
            backend = create_pose_backend(options, mode, second)
        except FALLBACK_ERRORS as e2:
            raise type(e)(f"{e} -- and the fallback {second} failed too: {type(e2).__name__}: {e2}") from e2
    log.warning("pose backend auto: using %s (%s)", second, reason)
    return PoseSelection(backend, "auto", second, reason)
