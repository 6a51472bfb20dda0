"""ZoneOptions: the zones and lines of a run and how people are tested against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import ConfigError
from .geometry import Line, Zone

__all__ = ["ZoneOptions", "POINTS"]

# Which point of a person is tested (see ZoneOptions.point).
POINTS = ("box_bottom", "feet", "center")


@dataclass(frozen=True)
class ZoneOptions:
    """Zones and lines (``AnalyzerConfig(zones=ZoneOptions(...))``; needs tracked people).

    Attributes:
        zones: :class:`Zone` s (or ``NAME:x1,y1,...`` specs).
        lines: :class:`Line` s (or ``NAME:x1,y1,x2,y2[:LEFT,RIGHT]`` specs).
        point: the point of a person that is tested. ``box_bottom`` (default: where a person stands,
            what floor zones mean): the bottom centre of the person's box (MultiPose's box, else the
            box around the keypoints). ``feet``: the middle of the ankles scoring at least
            ``min_keypoint_score`` (one ankle if only one is seen), else ``box_bottom``. ``center``:
            the centre of the box (e.g. a bed zone seen from the side). ``box_bottom`` and
            ``min_frames=2`` were chosen on the labelled vtest.avi (device_bench/zones_eval.py sweeps
            both points and 1-5 frames): the ankles jitter more (spurious and double crossings),
            more frames delay or lose crossings in crowds.
        min_frames: frames in a row a person's point must be inside (outside) a zone before they
            count as entered (left), and on a line's other side before a crossing counts: the
            point jitters by a few pixels, so a person standing on a boundary would flicker.
        margin_px: a point within this many pixels of a zone's outline or of a line keeps the
            state it had (a person standing on a boundary, jittering across it, neither flickers
            in and out nor crosses back and forth).
        min_keypoint_score: ankles below this score are not used.
        handoff: a new ID that appears within this many box heights of where an ID missing from the frame
            was last seen takes over that person's zones and line sides (the tracker gave them a new ID,
            typically where people pass each other; without it such a crossing is lost: a new ID has no
            side yet). 0 turns it off. On the labelled vtest.avi (device_bench/zones_eval.py): crossings
            26 -> 27 of 27 found with the pose tracker's lost-track recovery (23 -> 25 before it), none
            double, counts unchanged within +-1; 0.5-1.5 gave the same, 0.3 none more.
        forget_s: a person ID not seen for this long leaves its zones (``zone_leave`` with
            ``"reason": "gone"``); until then a person hidden for a moment still counts where last
            seen. None: the pose tracker's ``max_lost_s`` (when the ID is given up).
    """

    zones: tuple[Zone, ...] = ()
    lines: tuple[Line, ...] = ()
    point: str = "box_bottom"
    min_frames: int = 2
    margin_px: float = 5.0
    min_keypoint_score: float = 0.3
    forget_s: float | None = None
    handoff: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "zones", tuple(_as(Zone, z) for z in _seq("zones", self.zones)))
        object.__setattr__(self, "lines", tuple(_as(Line, ln) for ln in _seq("lines", self.lines)))
        if not self.zones and not self.lines:
            raise ConfigError("ZoneOptions: give at least one zone or line")
        names = [z.name for z in self.zones] + [ln.name for ln in self.lines]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"ZoneOptions: zone and line names must be unique, {dup} used twice")
        if self.point not in POINTS:
            raise ConfigError(f"ZoneOptions.point must be one of {list(POINTS)}, got {self.point!r}")
        if int(self.min_frames) < 1:
            raise ConfigError(f"ZoneOptions.min_frames must be >= 1, got {self.min_frames}")
        if not self.margin_px >= 0:
            raise ConfigError(f"ZoneOptions.margin_px must be >= 0 pixels, got {self.margin_px}")
        if not 0.0 <= self.min_keypoint_score <= 1.0:
            raise ConfigError(f"ZoneOptions.min_keypoint_score must be in [0, 1], got {self.min_keypoint_score}")
        if not self.handoff >= 0:
            raise ConfigError(f"ZoneOptions.handoff must be >= 0 box heights (0: off), got {self.handoff}")
        if self.forget_s is not None and not self.forget_s >= 0:
            raise ConfigError(f"ZoneOptions.forget_s must be >= 0 seconds or None, got {self.forget_s}")

    @classmethod
    def from_specs(cls, zones: Sequence[str] = (), lines: Sequence[str] = (), **options: object) -> "ZoneOptions":
        """From ``--zone`` / ``--line`` strings."""
        return cls(tuple(Zone.from_spec(z) for z in zones), tuple(Line.from_spec(ln) for ln in lines), **options)  # type: ignore[arg-type]


def _seq(what: str, value: object) -> tuple:
    if isinstance(value, (str, Zone, Line)) or not isinstance(value, (tuple, list)):
        raise ConfigError(f"ZoneOptions.{what} must be a list or tuple, got {type(value).__name__}")
    return tuple(value)


def _as(cls: type, value: object):
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        return cls.from_spec(value)
    raise ConfigError(f"expected a {cls.__name__} or a '{cls.__name__.upper()}' spec string, got {value!r}")
