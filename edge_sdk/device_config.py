"""``edge-sdk live --config device.toml``: a device's whole live setup in one TOML file.

Every key is a ``live`` option under another spelling (the table below): the file becomes the same
command-line options, so a file and flags can never mean different things, and flags given on the
command line win over the file. Relative paths in the file are relative to the file's folder.

.. code-block:: toml

    camera = "door"                 # --camera-name: the name in every event
    source = 0                      # camera index, /dev/videoN, rtsp://..., a file, a pipeline
    profile = "auto"                # --profile
    out = "runs"                    # --out
    [capture]                       # --camera-size, --camera-fps, --fourcc
    size = "1280x720"
    [pose]
    model = "movenet-multipose-int8-256x192"   # --model
    [action]                        # --action [MODEL], --actions, --per-person, --action-fps
    enabled = true
    actions = ["push up", "squat"]
    [speech]
    mic = "default"                 # --mic (or audio = "FILE": --audio)
    [mqtt]
    url = "mqtt://broker.local/edge/door"      # --mqtt, summary_s: --mqtt-summary, ca: --mqtt-ca
    [metrics]
    listen = "127.0.0.1:9464"       # --metrics
    [view]
    listen = "127.0.0.1:8080"       # --serve, token: --serve-token
    [snapshots]                     # --snapshots KINDS, --snapshot-keep, --snapshot-mb
    kinds = ["person_enter", "fall"]
    keep = 200
    [clips]                         # --clips KINDS, --clip-pre, --clip-post, --clip-keep, --clip-mb, --clip-ring
    kinds = ["fall"]
    pre_s = 3
    post_s = 5
    [[zones]]                       # --zone NAME:x1,y1,... (one table per zone)
    name = "entrance"
    points = [[470, 250], [690, 205], [768, 250], [768, 470]]
    [[lines]]                       # --line NAME:x1,y1,x2,y2[:LEFT,RIGHT]
    name = "door"
    points = [[300, 140], [300, 350]]
    sides = ["in", "out"]           # optional

Anything wrong (TOML syntax, an unknown key, a wrong type, a bad zone) is a :class:`ConfigError`
naming the file, the line and the key, before anything starts.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["DeviceConfig", "load_device_config"]

_NUM = (int, float)
# key -> (option, accepted types, is a path relative to the file)
_KEYS: dict[str, tuple[str, tuple[type, ...], bool]] = {
    "source": ("", (str, int), True),
    "camera": ("--camera-name", (str,), False),
    "profile": ("--profile", (str,), False),
    "out": ("--out", (str,), True),
    "replay": ("--replay", (bool,), False),
    "seconds": ("--seconds", _NUM, False),
    "capture.size": ("--camera-size", (str,), False),
    "capture.fps": ("--camera-fps", _NUM, False),
    "capture.fourcc": ("--fourcc", (str,), False),
    "pose.model": ("--model", (str,), False),
    "pose.threads": ("--threads", (int,), False),
    "speech.model": ("--asr-model", (str,), False),
    "action.enabled": ("--action", (bool,), False),
    "action.model": ("--action", (str,), False),
    "action.actions": ("--actions", (str, list), False),
    "action.per_person": ("--per-person", (bool,), False),
    "action.fps": ("--action-fps", _NUM, False),
    "speech.mic": ("--mic", (str, int), False),
    "speech.audio": ("--audio", (str,), True),
    "mqtt.url": ("--mqtt", (str,), False),
    "mqtt.summary_s": ("--mqtt-summary", _NUM, False),
    "mqtt.ca": ("--mqtt-ca", (str,), True),
    "mqtt.discovery": ("--mqtt-discovery", (bool,), False),
    "metrics.listen": ("--metrics", (str,), False),
    "view.listen": ("--serve", (str,), False),
    "view.token": ("--serve-token", (str,), False),
    "snapshots.kinds": ("--snapshots", (str, list), False),
    "snapshots.keep": ("--snapshot-keep", (int,), False),
    "snapshots.max_mb": ("--snapshot-mb", _NUM, False),
    "clips.kinds": ("--clips", (str, list), False),
    "clips.pre_s": ("--clip-pre", _NUM, False),
    "clips.post_s": ("--clip-post", _NUM, False),
    "clips.keep": ("--clip-keep", (int,), False),
    "clips.max_mb": ("--clip-mb", _NUM, False),
    "clips.ring": ("--clip-ring", (str,), False),
}
_SHAPES = {"zones": ("--zone", ("name", "points")), "lines": ("--line", ("name", "points", "sides"))}
_TABLES = sorted({k.split(".")[0] for k in _KEYS if "." in k})


@dataclass(frozen=True)
class DeviceConfig:
    """A loaded device file: ``source`` (or None), the ``live`` options it stands for (``argv``), and
    where each option came from (``origin``: option -> (``FILE:LINE key``, its value))."""

    path: Path
    source: str | None
    argv: tuple[str, ...]
    origin: dict[str, tuple[str, str]]

    def where(self, message: str) -> str:
        """``message`` with the file, line and key of the first option it names (or whose value it quotes)."""
        for option, (origin, value) in self.origin.items():
            if (option and re.search(rf"{re.escape(option)}\b", message)) or (len(value) >= 3 and value in message):
                return f"{message} (from {origin})"
        return message

    def command(self) -> str:
        """The equivalent ``edge-sdk live`` command line."""
        import shlex

        return " ".join(["edge-sdk", "live", *([shlex.quote(self.source)] if self.source else []),
                         *(shlex.quote(a) for a in self.argv)])


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # the install requirement below 3.11

    return tomli


def _lines(text: str) -> dict[str, int]:
    """``table.key`` (``zones.0.points`` inside arrays of tables) -> 1-based line of its first mention."""
    where: dict[str, int] = {}
    table, counts = "", {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        m = re.fullmatch(r"\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]", line) or re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]", line)
        if m:
            name = m.group(1)
            if line.startswith("[["):
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}.{counts[name]}"
            else:
                table = name
            where.setdefault(table, n)
            continue
        k = re.match(r"([A-Za-z0-9_-]+)\s*=", line)
        if k:
            where.setdefault(f"{table}.{k.group(1)}" if table else k.group(1), n)
    return where


def _fmt(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def load_device_config(path: str | os.PathLike) -> DeviceConfig:
    """Read and check ``path``; raises :class:`ConfigError` naming the line and key of what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {getattr(e, 'strerror', None) or e}") from e
    toml = _toml()
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    lines = _lines(text)
    base = path.resolve().parent

    def at(key: str) -> str:
        return f"{path}:{lines[key]}" if key in lines else str(path)

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{at(key)}: {key}: {why}")

    flat: dict[str, Any] = {}
    for k, v in data.items():
        if k in _SHAPES:
            continue
        if isinstance(v, dict):
            if k not in _TABLES:
                raise bad(k, f"unknown table; tables: {', '.join(_TABLES + sorted(_SHAPES))}")
            flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            flat[k] = v
    if flat.get("action.enabled") is False and "action.model" in flat:
        raise bad("action.enabled", "false next to action.model: drop one of them")
    if "action.model" in flat:  # the model is --action's value: one option
        flat.pop("action.enabled", None)
    elif any(k.startswith("action.") for k in flat) and "action.enabled" not in flat:
        flat["action.enabled"] = True  # an [action] table turns actions on
    for table in ("snapshots", "clips"):
        if any(k.startswith(f"{table}.") for k in flat) and f"{table}.kinds" not in flat:
            raise bad(table, f"a [{table}] table needs kinds = [...], e.g. [\"person_enter\", \"fall\"]")
    argv: list[str] = []
    origin: dict[str, tuple[str, str]] = {}
    source = None
    for key, value in flat.items():
        if key not in _KEYS:
            near = difflib.get_close_matches(key, list(_KEYS) + list(_SHAPES), n=2, cutoff=0.6)
            raise bad(key, "unknown key" + (f"; did you mean {' or '.join(near)}?" if near else
                                            f"; keys: {', '.join(_KEYS)}, [[zones]], [[lines]]"))
        option, types, is_path = _KEYS[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            want = " or ".join(dict.fromkeys("number" if t in _NUM else {"str": "string", "bool": "true/false"}.get(
                t.__name__, t.__name__) for t in types))
            raise bad(key, f"expected {want}, got {type(value).__name__} {value!r}")
        if isinstance(value, list):
            if not value or not all(isinstance(x, str) and x.strip() for x in value):
                raise bad(key, f"expected a non-empty list of names, got {value!r}")
            value = ",".join(value)
        if is_path and isinstance(value, str) and not value.isdigit() and "://" not in value and "!" not in value:
            value = str(base / Path(value).expanduser()) if not Path(value).expanduser().is_absolute() else value
        origin[option] = (f"{at(key)} {key}", str(value))
        if key == "source":
            source = str(value)
        elif isinstance(value, bool):
            argv += [option] if value else []
        else:
            argv += [option, _fmt(value)]
    for name, (option, fields) in _SHAPES.items():
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise bad(name, f"expected [[{name}]] tables, got {type(items).__name__}")
        for i, item in enumerate(items):
            key = f"{name}.{i}"
            def item_bad(k: str, why: str, key: str = key) -> ConfigError:
                return bad(f"{key}.{k}" if f"{key}.{k}" in lines else key, why)

            argv += [option, _shape_spec(name, item, fields, item_bad)]
            origin.setdefault(option, (f"{at(key)} [[{name}]]", argv[-1]))
    return DeviceConfig(path, source, tuple(argv), origin)


def _shape_spec(kind: str, item: dict[str, Any], fields: tuple[str, ...], bad: Any) -> str:
    """A ``[[zones]]`` / ``[[lines]]`` table as its ``--zone`` / ``--line`` spec, checked."""
    from .zones import Line, Zone

    for k in item:
        if k not in fields:
            raise bad(k, f"unknown key in [[{kind}]]; keys: {', '.join(fields)}")
    name, points = item.get("name"), item.get("points")
    if not isinstance(name, str) or not name:
        raise bad("name", f"every [[{kind}]] needs a name (a string), got {name!r}")
    if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(c, _NUM) and not isinstance(c, bool) for c in p)
            for p in points):
        raise bad("points", f"expected a list of [x, y] number pairs, got {points!r}")
    spec = f"{name}:" + ",".join(_fmt(c) for p in points for c in p)
    sides = item.get("sides")
    if sides is not None:
        if not (isinstance(sides, list) and len(sides) == 2 and all(isinstance(s, str) and s for s in sides)):
            raise bad("sides", f"expected two side names, e.g. [\"in\", \"out\"], got {sides!r}")
        spec += ":" + ",".join(sides)
    try:
        (Zone if kind == "zones" else Line).from_spec(spec)
    except ConfigError as e:
        raise bad("points", str(e)) from None
    return spec
