"""Zones and lines: who is where, who crossed which way (``AnalyzerConfig(zones=ZoneOptions(...))``).

:class:`Zone` / :class:`Line` (geometry, checked at construction), :class:`ZoneOptions` (what a
config file or ``--zone`` / ``--line`` build), :class:`ZoneTracker` (per-person state and events),
:class:`ZoneFrame` (``FrameResult.zones``). The stage is :class:`edge_sdk.stages.zones.ZoneStage`.
"""

from .geometry import Line, Zone
from .options import POINTS, ZoneOptions
from .tracker import ZoneFrame, ZoneTracker, person_point

__all__ = ["Zone", "Line", "ZoneOptions", "POINTS", "ZoneTracker", "ZoneFrame", "person_point"]
