"""Zones (polygons) and lines in frame pixels or normalised coordinates, checked at construction.

Coordinates are (x right, y down). A shape whose coordinates all lie in [0, 1] is normalised (x times
the frame width, y times its height) unless ``normalized`` says otherwise; it is turned into pixels
against the first frame's size (:meth:`Zone.pixels`, :meth:`Line.pixels`), where a shape reaching
outside the frame is a :class:`~edge_sdk.errors.ConfigError`.

Inside tests use OpenCV's ``pointPolygonTest``; a line's sides and a polygon's self-intersection use
the orientation (cross product) predicate of :func:`orientation`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import ConfigError

__all__ = ["Zone", "Line", "orientation", "segments_cross", "NAME_PATTERN"]

# Names go into MQTT topics and Prometheus labels: no spaces, '/', '+' or '#'.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def orientation(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Twice the signed area of triangle (a, b, p), for points (..., 2): > 0 when ``p`` lies to the
    right of a->b as seen on screen (y down), < 0 to its left, 0 on the line."""
    return (b[..., 0] - a[..., 0]) * (p[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (p[..., 0] - a[..., 0])


def segments_cross(p: np.ndarray, q: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether segments p-q and a-b share a point (touching counts)."""
    d1, d2 = orientation(a, b, p), orientation(a, b, q)
    d3, d4 = orientation(p, q, a), orientation(p, q, b)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(s: np.ndarray, e: np.ndarray, r: np.ndarray, d: float) -> bool:
        return d == 0 and min(s[0], e[0]) <= r[0] <= max(s[0], e[0]) and min(s[1], e[1]) <= r[1] <= max(s[1], e[1])

    return on(a, b, p, d1) or on(a, b, q, d2) or on(p, q, a, d3) or on(p, q, b, d4)


def _points(what: str, points: Sequence, n_min: int) -> tuple[tuple[float, float], ...]:
    try:
        pts = tuple((float(x), float(y)) for x, y in points)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: expected (x, y) number pairs, got {points!r}") from None
    if len(pts) < n_min:
        raise ConfigError(f"{what}: needs at least {n_min} points, got {len(pts)}")
    if not all(math.isfinite(v) for p in pts for v in p):
        raise ConfigError(f"{what}: coordinates must be finite numbers, got {pts}")
    return pts


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ConfigError(f"{kind} name {name!r}: expected 1-64 letters, digits, '_', '.' or '-' (it names MQTT topics "
                          "and Prometheus labels)")


def _normalised(what: str, pts: tuple[tuple[float, float], ...], normalized: bool | None) -> bool:
    unit = all(0.0 <= v <= 1.0 for p in pts for v in p)
    if normalized is None:
        return unit
    if normalized and not unit:
        raise ConfigError(f"{what}: normalised coordinates must lie in [0, 1], got {pts}")
    return bool(normalized)


def _to_pixels(what: str, pts: tuple[tuple[float, float], ...], normalized: bool, size: tuple[int, int]) -> np.ndarray:
    w, h = int(size[0]), int(size[1])
    xy = np.array(pts, np.float64)
    if normalized:
        xy = xy * (w, h)
    elif ((xy < 0) | (xy > (w, h))).any():
        raise ConfigError(f"{what}: points {pts} reach outside the {w}x{h} frame (x in [0, {w}], y in [0, {h}])")
    return xy


def _parse(kind: str, spec: str, form: str) -> tuple[str, list[float], str | None]:
    """``NAME:x1,y1,...[:extra]`` -> (name, numbers, extra)."""
    parts = spec.split(":") if isinstance(spec, str) else []
    if len(parts) not in (2, 3) or not parts[0].strip():
        raise ConfigError(f"{kind} {spec!r}: expected {form}")
    name = parts[0].strip()
    try:
        nums = [float(v) for v in parts[1].split(",")]
    except ValueError:
        raise ConfigError(f"{kind} {name!r}: coordinates must be numbers separated by commas, got {parts[1]!r} "
                          f"(expected {form})") from None
    if len(nums) % 2:
        raise ConfigError(f"{kind} {name!r}: an odd number of coordinates ({len(nums)}); expected x,y pairs ({form})")
    return name, nums, parts[2] if len(parts) == 3 else None


@dataclass(frozen=True)
class Zone:
    """A named polygon.

    Attributes:
        name: 1-64 letters, digits, ``_ . -`` (used in MQTT topics and Prometheus labels).
        points: the corners in order, (x, y) frame pixels or normalised to [0, 1]; at least 3, the
            outline must not cross itself and must enclose an area.
        normalized: True: coordinates are fractions of the frame width / height; False: pixels;
            None (default): normalised when every coordinate lies in [0, 1].
    """

    name: str
    points: tuple[tuple[float, float], ...]
    normalized: bool | None = None

    def __post_init__(self) -> None:
        _check_name("zone", self.name)
        what = f"zone {self.name!r}"
        pts = _points(what, self.points, 3)
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "normalized", _normalised(what, pts, self.normalized))
        xy = np.array(pts, np.float64)
        n = len(xy)
        a, b = xy, np.roll(xy, -1, axis=0)
        if (np.hypot(*(b - a).T) == 0).any():
            raise ConfigError(f"{what}: two consecutive points are the same: {pts}")
        for i in range(n):  # edges i and j that are not neighbours must not meet
            for j in range(i + 2, n):
                if (j + 1) % n == i:
                    continue
                if segments_cross(a[i], b[i], a[j], b[j]):
                    raise ConfigError(f"{what}: the outline crosses itself (edge {i + 1} meets edge {j + 1}): "
                                      "list the corners in order around the area")
        if abs(float(orientation(a[0:1].repeat(n, 0), a, b).sum())) == 0:
            raise ConfigError(f"{what}: the points enclose no area (all on one line): {pts}")

    @classmethod
    def from_spec(cls, spec: str) -> "Zone":
        """``NAME:x1,y1,x2,y2,x3,y3[,...]`` (pixels, or all in [0, 1] for normalised)."""
        name, nums, extra = _parse("zone", spec, "NAME:x1,y1,x2,y2,x3,y3[,...]")
        if extra is not None:
            raise ConfigError(f"zone {spec!r}: expected NAME:x1,y1,x2,y2,x3,y3[,...]")
        return cls(name, tuple(zip(nums[0::2], nums[1::2])))

    def pixels(self, size: tuple[int, int]) -> np.ndarray:
        """(n, 2) float32 corners in pixels of a ``size`` = (width, height) frame; raises
        :class:`ConfigError` when a pixel corner lies outside it."""
        return _to_pixels(f"zone {self.name!r}", self.points, bool(self.normalized), size).astype(np.float32)


@dataclass(frozen=True)
class Line:
    """A named segment people cross, counted per direction.

    Attributes:
        name: as for :class:`Zone`.
        points: its two ends ((x1, y1), (x2, y2)), pixels or normalised; not the same point.
        sides: names of the side to the left and to the right of the line when walking from its
            first point to its second as seen on the screen, e.g. ``("outside", "inside")``; a
            crossing's ``direction`` is ``"FROM->TO"``. None (default): named by the screen,
            ``left``/``right`` for a line steeper than 45 degrees, else ``above``/``below``.
        normalized: as for :class:`Zone`.
    """

    name: str
    points: tuple[tuple[float, float], ...]
    sides: tuple[str, str] | None = None
    normalized: bool | None = None

    def __post_init__(self) -> None:
        _check_name("line", self.name)
        what = f"line {self.name!r}"
        pts = _points(what, self.points, 2)
        if len(pts) != 2:
            raise ConfigError(f"{what}: expected 2 points (its ends), got {len(pts)}")
        if pts[0] == pts[1]:
            raise ConfigError(f"{what}: zero length (both ends at {pts[0]})")
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "normalized", _normalised(what, pts, self.normalized))
        if self.sides is not None:
            sides = tuple(self.sides)
            if len(sides) != 2 or sides[0] == sides[1] or not all(isinstance(s, str) and NAME_PATTERN.fullmatch(s)
                                                                   for s in sides):
                raise ConfigError(f"{what}: sides must be two different names (letters, digits, _ . -), got {self.sides!r}")
            object.__setattr__(self, "sides", sides)

    @classmethod
    def from_spec(cls, spec: str) -> "Line":
        """``NAME:x1,y1,x2,y2[:LEFT,RIGHT]`` (pixels, or all in [0, 1] for normalised; LEFT / RIGHT:
        names of the sides, see ``sides``)."""
        form = "NAME:x1,y1,x2,y2[:LEFT,RIGHT]"
        name, nums, extra = _parse("line", spec, form)
        if len(nums) != 4:
            raise ConfigError(f"line {name!r}: expected 4 coordinates (x1,y1,x2,y2), got {len(nums)} ({form})")
        sides = tuple(s.strip() for s in extra.split(",")) if extra is not None else None
        return cls(name, ((nums[0], nums[1]), (nums[2], nums[3])), sides)  # type: ignore[arg-type]

    def pixels(self, size: tuple[int, int]) -> np.ndarray:
        """(2, 2) float64 ends in pixels of a ``size`` = (width, height) frame (checked as for zones)."""
        xy = _to_pixels(f"line {self.name!r}", self.points, bool(self.normalized), size)
        if (xy[0] == xy[1]).all():
            raise ConfigError(f"line {self.name!r}: zero length in pixels")
        return xy

    def side_names(self, size: tuple[int, int]) -> tuple[str, str]:
        """(left, right) side names (see ``sides``) for a ``size`` frame."""
        if self.sides is not None:
            return self.sides  # type: ignore[return-value]
        (x0, y0), (x1, y1) = self.pixels(size)
        dx, dy = x1 - x0, y1 - y0
        # the walker's left is the screen side where orientation() < 0
        if abs(dy) >= abs(dx):  # steep: left of a downward walk is screen-right
            return ("right", "left") if dy > 0 else ("left", "right")
        return ("above", "below") if dx > 0 else ("below", "above")
