"""Pose backends behind one protocol, chosen by name from :data:`edge_sdk.backends.BACKENDS` (with an
explicit ``auto`` fallback policy between the two built-in ones)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..backends import BACKENDS
from ..config import POSE_BACKENDS, PoseOptions, RunningMode
from ..errors import BackendUnavailableError, ModelLoadError, ModelNotFoundError, RuntimeUnavailableError
from .base import PoseBackend, PoseOutput

__all__ = ["PoseBackend", "PoseOutput", "PoseSelection", "create_pose_backend", "select_pose_backend"]

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


def _movenet(options: PoseOptions, track: bool = False) -> PoseBackend:
    from .movenet import MoveNetBackend

    return MoveNetBackend(options, track=track)


def _mediapipe(options: PoseOptions, track: bool = False) -> PoseBackend:
    from .mediapipe_pose import MediaPipePoseBackend

    return MediaPipePoseBackend(options, track=track)


# A pose factory: (options, track=crop tracking on?) -> a loaded backend.
for _name, _factory in zip(POSE_BACKENDS, (_movenet, _mediapipe)):
    BACKENDS.register("pose", _name, _factory)


def create_pose_backend(options: PoseOptions, mode: RunningMode = RunningMode.IMAGE, name: str | None = None) -> PoseBackend:
    """Load pose backend ``name`` (default ``options.backend``; not ``auto``: see :func:`select_pose_backend`)
    from :data:`~edge_sdk.backends.BACKENDS`; crop tracking only for video/live."""
    track = options.crop_tracking and RunningMode(mode) is not RunningMode.IMAGE
    return BACKENDS.create("pose", name or options.backend, options, track=track)


def select_pose_backend(options: PoseOptions, mode: RunningMode = RunningMode.IMAGE) -> PoseSelection:
    """Apply the fallback policy: explicit names load or raise; ``auto`` tries ``options.prefer``
    first, then the other backend when the first one's package, runtime or model is missing
    (logged once as a warning). If both fail, the first error is raised with the second attached."""
    if options.backend != "auto":
        return PoseSelection(create_pose_backend(options, mode), options.backend, options.backend)
    first = options.prefer
    second = next(n for n in POSE_BACKENDS if n != first)
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
