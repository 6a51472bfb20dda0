"""The one registry of model backends: pose, action and speech backends by name.

Each media package registers its built-in backends when it is imported (:mod:`edge_sdk.pose`:
``movenet``, ``mediapipe``; :mod:`edge_sdk.action`: ``movinet``; :mod:`edge_sdk.audio`: ``ctranslate2``,
``whisper.cpp``). A factory takes the stage's options (and keyword arguments of its kind, e.g. pose's
``track``) and returns a loaded backend. Register your own with :meth:`BackendRegistry.register`; its
name is then valid wherever the options name a backend (``PoseOptions.backend``, ``ActionOptions.backend``,
``AsrOptions.backend``), or pass a loaded backend to a stage (``PoseStage(backend=...)``).

Factories are looked up when a stage loads, never at import, so registering loads nothing.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from .errors import ConfigError

__all__ = ["BACKENDS", "BACKEND_KINDS", "BackendRegistry"]

BACKEND_KINDS = ("pose", "action", "speech")


class BackendRegistry:
    """Backend factories by kind (:data:`BACKEND_KINDS`) and name; safe to use from several threads."""

    def __init__(self) -> None:
        self._factories: dict[str, dict[str, Callable[..., Any]]] = {k: {} for k in BACKEND_KINDS}
        self._lock = threading.Lock()

    def _kind(self, kind: str) -> dict[str, Callable[..., Any]]:
        if kind not in self._factories:
            raise ConfigError(f"unknown backend kind {kind!r}: one of {list(BACKEND_KINDS)}")
        return self._factories[kind]

    def register(self, kind: str, name: str, factory: Callable[..., Any], *, replace: bool = False) -> None:
        """Make ``factory(options, **kwargs) -> backend`` the ``kind`` backend called ``name``.

        Raises :class:`ConfigError` for an unknown kind, an empty name, ``auto`` (pose's fallback
        policy), or a name already taken (unless ``replace``)."""
        if not isinstance(name, str) or not name.strip() or name == "auto":
            raise ConfigError(f"a backend name must be a non-empty string other than 'auto', got {name!r}")
        if not callable(factory):
            raise ConfigError(f"the factory of {kind} backend {name!r} must be callable, got {type(factory).__name__}")
        with self._lock:
            table = self._kind(kind)
            if name in table and not replace and table[name] is not factory:
                raise ConfigError(f"{kind} backend {name!r} is already registered (pass replace=True to replace it)")
            table[name] = factory

    def unregister(self, kind: str, name: str) -> None:
        """Remove a registered backend (nothing if it is not there)."""
        with self._lock:
            self._kind(kind).pop(name, None)

    def names(self, kind: str) -> tuple[str, ...]:
        """The registered ``kind`` backends, in the order they were registered."""
        with self._lock:
            return tuple(self._kind(kind))

    def create(self, kind: str, name: str, options: Any, **kwargs: Any) -> Any:
        """Load the ``kind`` backend ``name`` with ``options``; a :class:`ConfigError` listing the
        registered names if there is none of that name."""
        with self._lock:
            factory = self._kind(kind).get(name)
            known = list(self._kind(kind))
        if factory is None:
            raise ConfigError(f"unknown {kind} backend {name!r}: one of {known}")
        return factory(options, **kwargs)

    def to_dict(self) -> dict[str, list[str]]:
        """``{kind: [names]}``."""
        return {k: list(self.names(k)) for k in BACKEND_KINDS}


BACKENDS = BackendRegistry()
"""The registry the stages load their backends from."""
