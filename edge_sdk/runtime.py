"""The one place that loads a .tflite file into an interpreter.

Order for ``runtime="auto"``: ai-edge-litert (maintained LiteRT), tflite-runtime (last release
2.14, Python <= 3.11, numpy < 2), then tensorflow.lite as a last resort. TensorFlow is only ever
imported here, lazily, and only when neither light runtime is installed.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._native import quiet_stderr
from .errors import ConfigError, ModelLoadError, RuntimeUnavailableError
from .tflite_outputs import with_outputs

__all__ = ["RUNTIMES", "LoadedInterpreter", "available_runtimes", "runtime_versions", "distribution_version", "load_interpreter",
           "usable_cpus"]

log = logging.getLogger("edge_sdk")

# runtime name -> (module holding Interpreter, distribution to install / look the version up by)
RUNTIMES: dict[str, tuple[str, str]] = {
    "ai_edge_litert": ("ai_edge_litert.interpreter", "ai-edge-litert"),
    "tflite_runtime": ("tflite_runtime.interpreter", "tflite-runtime"),
    "tensorflow": ("tensorflow.lite", "tensorflow"),
}
_DIST_ALIASES = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-aarch64")}


@dataclass(frozen=True)
class LoadedInterpreter:
    """An allocated interpreter and where it came from.

    Attributes:
        interpreter: the runtime's ``Interpreter`` with tensors allocated.
        runtime: key of :data:`RUNTIMES` that loaded it.
        version: version of that runtime's distribution.
        num_threads: threads the interpreter was created with.
        readable: names of intermediate tensors that stay readable after ``invoke`` (asked for
            with ``expose``).
        exposed_by: how: ``outputs`` (added to the graph's outputs in memory), ``preserve`` (the
            runtime keeps every tensor: slower, more memory) or None.
    """

    interpreter: Any
    runtime: str
    version: str
    num_threads: int
    readable: frozenset[str] = frozenset()
    exposed_by: str | None = None

    def signature_io(self) -> tuple[dict[str, int], dict[str, int]]:
        """``(inputs, outputs)`` of the default signature: name -> tensor index ({} if none)."""
        sigs = self.interpreter._get_full_signature_list() or {}
        if not sigs:
            return {}, {}
        sig = sigs.get("serving_default") or next(iter(sigs.values()))
        return dict(sig["inputs"]), dict(sig["outputs"])


def distribution_version(dist: str) -> str:
    """Installed version of a pip distribution (or one of its aliases), ``unknown`` if absent."""
    from importlib.metadata import PackageNotFoundError, version

    for name in _DIST_ALIASES.get(dist, (dist,)):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "unknown"


def _import(runtime: str):
    module, _ = RUNTIMES[runtime]
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def available_runtimes() -> list[str]:
    """Installed runtimes, in preference order (found without importing them)."""
    from importlib.util import find_spec

    return [r for r, (module, _) in RUNTIMES.items() if find_spec(module.split(".")[0]) is not None]


def runtime_versions() -> dict[str, str]:
    """Installed runtime -> version of its distribution (for benchmark and bug reports)."""
    return {r: distribution_version(RUNTIMES[r][1]) for r in available_runtimes()}



def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask: taskset, cgroup cpusets), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


EXPOSE_BY = ("auto", "outputs", "preserve")


def _interpreter(mod: Any, path: str, threads: int, expose: tuple[str, ...],
                 expose_by: str) -> tuple[Any, str | None, bytes | None]:
    """``mod.Interpreter`` for ``path`` with the tensors ``expose`` readable where it can:
    (interpreter, how, model bytes the interpreter reads from)."""
    if expose and expose_by in ("auto", "outputs"):
        try:
            content = with_outputs(Path(path).read_bytes(), expose)
        except Exception as e:  # noqa: BLE001 -- a model the schema cannot edit loads the other way
            log.debug("%s: cannot add outputs %s: %s", path, expose, e)
            content = None
        if content is not None:
            return mod.Interpreter(model_content=content, num_threads=threads), "outputs", content
    if expose and expose_by in ("auto", "preserve"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "intended for debugging purposes only"
            try:
                interp = mod.Interpreter(model_path=path, num_threads=threads, experimental_preserve_all_tensors=True)
                return interp, "preserve", None
            except TypeError:  # a runtime without the option
                pass
    return mod.Interpreter(model_path=path, num_threads=threads), None, None


def load_interpreter(path: str | os.PathLike, num_threads: int | None = None, runtime: str = "auto",
                     expose: tuple[str, ...] = (), expose_by: str = "auto") -> LoadedInterpreter:
    """Load ``path`` (already verified by :func:`edge_sdk.models.resolve_model`) and allocate tensors.

    Args:
        path: .tflite file.
        num_threads: CPU threads for the interpreter (default: all cores).
        runtime: ``auto`` or one of :data:`RUNTIMES`.
        expose: names of intermediate tensors to keep readable after ``invoke``
            (``LoadedInterpreter.readable``; empty where neither way below works).
        expose_by: ``outputs``: add them to the graph's outputs in memory (:mod:`edge_sdk.tflite_outputs`,
            full speed); ``preserve``: the runtime's ``experimental_preserve_all_tensors`` (~25% slower
            invokes, no memory reuse); ``auto``: the first that works.
    """
    if expose_by not in EXPOSE_BY:
        raise ConfigError(f"expose_by must be one of {EXPOSE_BY}, got {expose_by!r}")
    expose = tuple(expose)
    if runtime != "auto" and runtime not in RUNTIMES:
        raise ConfigError(f"runtime must be 'auto' or one of {list(RUNTIMES)}, got {runtime!r}")
    threads = usable_cpus() if num_threads is None else int(num_threads)
    if threads < 1:
        raise ConfigError(f"num_threads must be >= 1, got {num_threads}")
    order = list(RUNTIMES) if runtime == "auto" else [runtime]
    for name in order:
        mod = _import(name)
        if mod is None:
            continue
        if name == "tensorflow":
            log.warning("no light TFLite runtime installed; using tensorflow.lite (pip install ai-edge-litert)")
        version = distribution_version(RUNTIMES[name][1])
        # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on fd 2: shown only when
        # the edge_sdk logger shows INFO (edge-sdk -v); quoted in the error when the load fails.
        chatter = contextlib.nullcontext(None) if log.isEnabledFor(logging.INFO) else quiet_stderr()
        try:
            with chatter as err:
                interp, how, content = _interpreter(mod, str(Path(path)), threads, expose, expose_by)
                interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            hint = f" Native log: {err.tail()}." if err is not None and err.tail() else ""
            if name == "tflite_runtime":
                hint += (
                    " tflite-runtime 2.14 is the last release of that package and lacks op versions newer"
                    " converters emit; install ai-edge-litert (pip install ai-edge-litert) for this model."
                )
            raise ModelLoadError(f"{name} {version} rejected {path}: {str(e).strip()}.{hint}") from e
        if content is not None:
            interp._edge_sdk_model = content  # the runtime reads the model from these bytes: keep them alive
        return LoadedInterpreter(interpreter=interp, runtime=name, version=version, num_threads=threads,
                                 readable=frozenset(expose) if how else frozenset(), exposed_by=how)
    if runtime != "auto":
        raise RuntimeUnavailableError(
            f"runtime {runtime!r} is not installed (pip install {RUNTIMES[runtime][1]})"
        )
    raise RuntimeUnavailableError(
        "no TFLite runtime installed: pip install ai-edge-litert (or tflite-runtime on Python <= 3.11)"
    )
