"""Action recognition on a stream of frames (MoViNet stream models)."""

from __future__ import annotations

from ..config import ActionOptions
from .base import ActionBackend, ActionOutput

__all__ = ["ActionBackend", "ActionOutput", "create_action_backend"]


def create_action_backend(options: ActionOptions) -> ActionBackend:
    """The MoViNet stream backend configured by ``options``."""
    from .movinet_stream import MovinetActionBackend

    return MovinetActionBackend(options)
