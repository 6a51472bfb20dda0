"""The event payload schema (shared by timeline.jsonl and MQTT) and the per-frame summary.

The JSON Schema ships in the package (``edge_sdk/schemas/event-v2.schema.json``): every timeline
line and every MQTT payload validates against it. MQTT payloads add ``v`` (:data:`SCHEMA_VERSION`)
and ``seq``; a new version number means a key changed meaning or a required key was removed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError
from ..results import Event

__all__ = ["SCHEMA_VERSION", "schema_path", "load_schema", "SummaryThrottle"]

SCHEMA_VERSION = 2


def schema_path() -> Path:
    """Path of the event JSON Schema inside the installed package."""
    return Path(__file__).resolve().parent.parent / "schemas" / f"event-v{SCHEMA_VERSION}.schema.json"


def load_schema() -> dict[str, Any]:
    """The event JSON Schema (draft 2020-12) as a dict."""
    return json.loads(schema_path().read_text(encoding="utf-8"))


class SummaryThrottle:
    """Turns ``frame`` events into a ``summary`` event at most every ``every_s`` seconds (analyzer clock).

    ``every_s=0`` summarises every frame. The summary says how many frames and poses went by, the fps
    over the interval and the top action (schema: ``summary``).
    """

    def __init__(self, every_s: float = 1.0) -> None:
        if not every_s >= 0:
            raise ConfigError(f"summary interval must be >= 0 seconds, got {every_s}")
        self.every_s = float(every_s)
        self._t_last: float | None = None
        self._frames = 0

    def __call__(self, event: Event) -> Event | None:
        """The summary due at this ``frame`` event, or None."""
        self._frames += 1
        if self._t_last is None:
            self._t_last = event.t
            if self.every_s > 0:  # the first frame starts the interval
                self._frames = 0
                return None
        dt = event.t - self._t_last
        if dt < self.every_s:
            return None
        data: Mapping[str, Any] = event.data
        actions = data.get("actions") or []
        n, self._frames, self._t_last = self._frames, 0, event.t
        return replace(event, kind="summary", data={
            "frame": int(data.get("frame", 0)), "people": len(data.get("poses", ())), "frames": n,
            "fps": round(n / dt, 2) if dt > 0 else 0.0, "action": dict(actions[0]) if actions else None})
