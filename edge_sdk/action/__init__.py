"""Action recognition on a stream of frames (MoViNet stream models), from :data:`edge_sdk.backends.BACKENDS`."""

from __future__ import annotations

from ..backends import BACKENDS
from ..config import ActionOptions
from .base import ActionBackend

__all__ = ["ActionBackend", "create_action_backend"]


def _movinet(options: ActionOptions) -> ActionBackend:
    from .movinet_stream import MovinetActionBackend

    return MovinetActionBackend(options)


BACKENDS.register("action", "movinet", _movinet)


def create_action_backend(options: ActionOptions) -> ActionBackend:
    """Load the action backend ``options.backend`` names."""
    return BACKENDS.create("action", options.backend, options)
