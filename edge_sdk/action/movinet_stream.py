"""MoViNet stream models: one model frame in, states carried, class scores out.

Two model layouts are understood, both by their signature names:

* ``split`` (this SDK's exports): input ``image`` [1, 1, S, S, 3] + ``state_*``; outputs ``features``
  [1, P] + ``state_*``. The running mean of the features (over the stream, or a sliding window)
  and the classifier (a float ``-classifier.tflite``: ``features`` -> ``logits``) run outside the
  backbone, so an int8 backbone never holds a sum that grows with the stream.
* ``graph`` (official TFLite stream files): outputs ``logits`` + ``state_*``; pooling in the graph.
  Its pools are running sums (``*_pool_buffer``) with a frame count (``*_pool_frame_count``); the
  int8 graph quantizes the sum with a fixed range and a step coarser than most per-frame values:
  past a few hundred frames the sum saturates and the answer decays to noise. ``pool_frames`` bounds
  them (:mod:`edge_sdk.action.stream_pools`): by default the pool is kept in float outside the graph
  as the exact mean of the last ``pool_frames`` model frames and fed back as a sum and count.

A manifest entry with ``params.head`` (``edge-sdk models finetune-action``) runs a ``graph`` file frozen
and classifies its pooled embedding (:meth:`StreamModel.embedding`) with that numpy head instead of the
file's own classifier (:mod:`edge_sdk.action.head`).

States are matched input -> output by name (never by order); int8 states start at their zero
point, and an output whose quantization differs from its input's is requantized before it is fed
back. Images go in as RGB in [0, 1] (quantized through a 256-entry table for int8 inputs).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ActionOptions, ModelAsset
from ..errors import ConfigError, InvalidFrameError, ModelIntegrityError, ModelLoadError, ModelNotFoundError
from ..models import ResolvedModel, cache_dir, resolve_model, shipped_dir
from ..runtime import LoadedInterpreter, load_interpreter
from .head import ActionHead, load_head
from .labels import LabelSet
from .stream_pools import InGraphPools, PoolInfo

__all__ = ["StreamModel", "StreamState", "MovinetActionBackend", "load_labels", "IN_GRAPH_SUM_DRIFT"]

log = logging.getLogger("edge_sdk")

# Measured (tflite_models/reports/movinet-accuracy.json, 300-frame streams): an int8 file with the
# official-style in-graph running sum vs its float model, logit correlation at frame 300.
IN_GRAPH_SUM_DRIFT = "logits correlate only 0.82-0.89 with the float model after 300 frames (top-1 agreement 0-0.5)"
_warned: set[str] = set()


@dataclass
class _State:
    name: str
    in_index: int
    out_index: int
    dtype: Any
    shape: tuple[int, ...]
    zero: Any  # value of "nothing seen yet" in the tensor's own type
    requant: tuple[float, float, float, float] | None  # (out_scale, out_zp, in_scale, in_zp)


def _norm(name: str) -> str:
    """Signature name without runtime decorations (``serving_default_x:0`` -> ``x``)."""
    name = name.split(":")[0].replace("/", "_")
    for p in ("serving_default_",):
        if name.startswith(p):
            name = name[len(p):]
    return name


class StreamModel:
    """A TFLite stream model and the states it carries between :meth:`step` calls.

    Args:
        loaded: the interpreter of a verified model file.
        path: the file (for messages).
        pool_frames: bound of the in-graph running pools in model frames (None: unbounded).
        pool_mode: ``window`` or ``scaled`` (:class:`~edge_sdk.action.stream_pools.InGraphPools`).
    Attributes:
        layout: ``split`` or ``graph``.
        input_size: S of the [1, 1, S, S, 3] image input.
        output_dim: P (features) or number of classes (logits).
        state_bytes: bytes of all carried states.
        quantized_sums: names of running-sum states (``*pool_buffer``) held in int8/uint8 inside
            the graph (official-style int8 exports): they saturate, so outputs drift on long streams.
        pools: the in-graph running pools (float buffer + int32 count) and how they are bounded
            (:class:`~edge_sdk.action.stream_pools.InGraphPools`).
    """

    def __init__(self, loaded: LoadedInterpreter, path: Path, pool_frames: int | None = None,
                 pool_mode: str = "window"):
        self._loaded = loaded
        self.pool_frames = pool_frames
        self._interp = interp = loaded.interpreter
        sig_in, sig_out = loaded.signature_io()
        if not sig_in:
            raise ModelLoadError(f"{path}: a stream model needs a signature naming its image and state tensors")
        details = {d["index"]: d for d in interp.get_input_details() + interp.get_output_details()}
        ins = {_norm(k): details[i] for k, i in sig_in.items()}
        outs = {_norm(k): details[i] for k, i in sig_out.items()}
        image = ins.pop("image", None)
        if image is None:
            five = [k for k, d in ins.items() if len(d["shape"]) == 5 and d["shape"][-1] == 3 and d["shape"][1] == 1]
            image = ins.pop(five[0]) if len(five) == 1 else None
        if image is None or len(image["shape"]) != 5 or image["shape"][4] != 3 or image["shape"][2] != image["shape"][3]:
            raise ModelLoadError(f"{path}: expected an image input [1, 1, S, S, 3], inputs are {sorted(sig_in)}")
        self._image = image
        self.input_size = int(image["shape"][2])
        self.layout = "split" if "features" in outs else "graph" if "logits" in outs else ""
        if not self.layout:
            raise ModelLoadError(f"{path}: expected an output named 'features' or 'logits', outputs are {sorted(sig_out)}")
        self._out = outs.pop("features" if self.layout == "split" else "logits")
        self.output_dim = int(self._out["shape"][-1])
        missing = sorted(set(ins) - set(outs))
        if missing:
            raise ModelLoadError(f"{path}: state inputs without a same-named output: {missing}")
        self._states = [self._state(k, ins[k], outs[k]) for k in sorted(ins)]
        self.state_bytes = int(sum(np.prod(s.shape) * np.dtype(s.dtype).itemsize for s in self._states))
        self.quantized_sums = tuple(s.name for s in self._states
                                    if s.name.endswith("pool_buffer") and s.dtype in (np.int8, np.uint8))
        self._pool_pairs = self._find_pools(path)
        self._head_pool = next(((b, c) for b, c in self._pool_pairs if b.name.endswith("head_pool_buffer")), None)
        self.pools = InGraphPools(interp, self._pool_pairs, pool_frames, pool_mode, loaded.readable)
        scale, zp = image["quantization"]
        if image["dtype"] in (np.int8, np.uint8):
            info = np.iinfo(image["dtype"])
            lut = np.round(np.arange(256) / 255.0 / scale) + zp
            self._lut: np.ndarray | None = np.clip(lut, info.min, info.max).astype(image["dtype"])
        elif image["dtype"] == np.float32:
            self._lut = None
        else:
            raise ModelLoadError(f"{path}: image input dtype {image['dtype']} (expected float32, int8 or uint8)")
        oscale, ozp = self._out["quantization"]
        self._out_q = (float(oscale), int(ozp)) if self._out["dtype"] in (np.int8, np.uint8) and oscale > 0 else None
        self.reset()

    def _find_pools(self, path: Path) -> list[tuple[_State, _State]]:
        """(buffer, frame count) state pairs of the in-graph running pools."""
        by_name = {st.name: st for st in self._states}
        pools = []
        for name, cnt in by_name.items():
            if not name.endswith("_pool_frame_count"):
                continue
            buf = by_name.get(name[: -len("frame_count")] + "buffer")
            if buf is None:
                raise ModelLoadError(f"{path}: state {name!r} has no {name[: -len('frame_count')]}buffer next to it")
            if cnt.dtype == np.int32 and buf.dtype == np.float32 and int(np.prod(cnt.shape)) == 1:
                pools.append((buf, cnt))  # else an int8 sum (``quantized_sums``): rescaling it would lose it
        return pools

    @property
    def embedding_dim(self) -> int | None:
        """D of :meth:`embedding` (the graph's pooled head features), None when the file keeps no such pool."""
        return int(np.prod(self._head_pool[0].shape)) if self._head_pool else None

    def embedding(self) -> np.ndarray:
        """(D,) float32: the pooled features of the last block after the last :meth:`step`, which is
        what the file's own classifier reads: in ``window`` pool mode the exact float mean of the last
        ``pool_frames`` frames' features, else the ``head_pool`` state (buffer / frame count); zeros
        before the first step. A ``graph`` file with a float head pool only (:attr:`embedding_dim`)."""
        if self._head_pool is None:
            raise ModelLoadError("this stream model keeps no float head pool state (state_head_pool_buffer / "
                                 "_frame_count): it has no embedding to read")
        buf, cnt = self._head_pool
        mean = self.pools.window_mean(buf.name[: -len("_buffer")])
        if mean is not None:
            return mean
        k = int(self._interp.tensor(cnt.in_index)().reshape(-1)[0])
        b = self._interp.get_tensor(buf.in_index).reshape(-1).astype(np.float32)
        return b / np.float32(k) if k > 0 else np.zeros_like(b)

    def graph_embedding(self) -> np.ndarray:
        """(D,) float32: the head pool's mean as the graph computed it in the last :meth:`step` (its
        output buffer / output frame count, in-graph quantization included)."""
        if self._head_pool is None:
            raise ModelLoadError("this stream model keeps no float head pool state: it has no embedding to read")
        buf, cnt = self._head_pool
        k = int(self._interp.get_tensor(cnt.out_index).reshape(-1)[0])
        b = self._interp.get_tensor(buf.out_index).reshape(-1).astype(np.float32)
        return b / np.float32(k) if k > 0 else np.zeros_like(b)

    @property
    def pool_count(self) -> int:
        """Number of in-graph running pools (float buffer + int32 frame count), used or not."""
        return len(self._pool_pairs)

    @property
    def pool_mode(self) -> str | None:
        """How the pools are bounded: ``window``, ``scaled`` or None (unbounded, or no pool in use)."""
        return self.pools.mode

    @property
    def pool_info(self) -> tuple[PoolInfo, ...]:
        """What each in-graph pool is: used or passed through, in-graph quantization, per-frame input."""
        return self.pools.info

    def save_states(self) -> list[np.ndarray]:
        """Copies of every carried state and of the float pool window (e.g. to keep one stream per
        person on one interpreter)."""
        return [self._interp.tensor(s.in_index)().copy() for s in self._states] + self.pools.save()

    def load_states(self, states: list[np.ndarray] | None) -> None:
        """Carry on from :meth:`save_states`' copies (None: a new stream, as :meth:`reset`)."""
        if states is None:
            self.reset()
            return
        for s, value in zip(self._states, states):
            np.copyto(self._interp.tensor(s.in_index)(), value)
        self.pools.load(list(states[len(self._states):]))

    @staticmethod
    def _state(name: str, din: dict, dout: dict) -> _State:
        if list(din["shape"]) != list(dout["shape"]) or din["dtype"] != dout["dtype"]:
            raise ModelLoadError(f"state {name!r}: input {list(din['shape'])} {din['dtype']} vs output "
                                 f"{list(dout['shape'])} {dout['dtype']}")
        sin, zin = din["quantization"]
        sout, zout = dout["quantization"]
        quantized = din["dtype"] in (np.int8, np.uint8) and sin > 0
        zero = din["dtype"](zin) if quantized else din["dtype"](0)
        requant = (float(sout), float(zout), float(sin), float(zin)) if quantized and (sin, zin) != (sout, zout) else None
        return _State(name, din["index"], dout["index"], din["dtype"], tuple(din["shape"]), zero, requant)

    @property
    def states(self) -> dict[str, tuple[tuple[int, ...], str]]:
        """State name -> (shape, dtype name)."""
        return {s.name: (s.shape, np.dtype(s.dtype).name) for s in self._states}

    def reset(self) -> None:
        """Zero every state (int8 states: their zero point) and empty the pool window."""
        for s in self._states:
            self._interp.tensor(s.in_index)()[...] = s.zero
        self.pools.reset()

    def step(self, rgb: np.ndarray) -> np.ndarray:
        """One frame (S, S, 3) uint8 RGB -> float32 features [P] or logits [C]; states advance."""
        interp = self._interp
        view = interp.tensor(self._image["index"])
        if self._lut is not None:
            np.take(self._lut, rgb, out=view()[0, 0])
        else:
            np.multiply(rgb, np.float32(1.0 / 255.0), out=view()[0, 0], casting="unsafe")
        del view
        interp.invoke()
        for s in self._states:
            out = interp.tensor(s.out_index)()
            if s.requant is None:
                np.copyto(interp.tensor(s.in_index)(), out)
            else:
                so, zo, si, zi = s.requant
                info = np.iinfo(s.dtype)
                q = np.round((out.astype(np.float32) - zo) * (so / si)) + zi
                np.copyto(interp.tensor(s.in_index)(), np.clip(q, info.min, info.max).astype(s.dtype))
            del out
        self.pools.after_step()
        y = interp.get_tensor(self._out["index"]).reshape(-1)
        if self._out_q is not None:
            return (y.astype(np.float32) - self._out_q[1]) * np.float32(self._out_q[0])
        return y.astype(np.float32, copy=False)


def _warn_in_graph_sum(stream: StreamModel, path: Path) -> None:
    """Once per file: a stream export whose running pools will saturate on long streams."""
    if str(path) in _warned:
        return
    if stream.quantized_sums:
        _warned.add(str(path))
        log.warning("%s: official-style int8 stream export, its running sum (%s) is int8 inside the graph and "
                    "saturates on long streams: %s. Use the FP16/float file of the same model, or re-export the "
                    "checkpoint in this SDK's split layout (conversion.movinet_export, layout='split': float running "
                    "mean outside the int8 backbone, 0.9999 correlation at frame 300).", path,
                    ", ".join(stream.quantized_sums), IN_GRAPH_SUM_DRIFT)
    elif stream.pool_count and not stream.pool_frames:
        _warned.add(str(path))
        log.warning("%s: pool_frames=None keeps the graph's running pools unbounded: the answer decays after a few "
                    "hundred model frames (set ActionOptions.pool_frames, default 100)", path)
    elif stream.pools.window_unavailable:
        _warned.add(str(path))
        log.warning("%s: the float pool window needs the graph's per-frame pool input, which this runtime (%s) or "
                    "graph does not expose: pools bounded by scaling the in-graph sum instead (pool_mode='scaled'), "
                    "less exact on long streams", path, stream._loaded.runtime)


def load_labels(path: str | os.PathLike) -> tuple[str, ...]:
    """One label per line (blank lines and ``#`` comments skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"label file {os.fspath(path)!r}: {e}") from None
    return tuple(s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#"))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


@dataclass
class StreamState:
    """Everything one stream carries: the model's states and the split layout's running mean."""

    states: list[np.ndarray] | None
    head: tuple[Any, ...] | None = None


class MovinetActionBackend:
    """Action recognition with a MoViNet stream model (an official stream file or our split export):
    the :class:`~edge_sdk.action.ActionBackend` the action stage runs. It is the model only: which
    frames it sees, cuts, crops, smoothing, top-k and events are the stage's
    (:class:`~edge_sdk.stages.ActionStage`).

    Args (the fields of ``options``, an :class:`ActionOptions`; :meth:`from_model` builds them):
        asset: the stream model: manifest name or path of a stream .tflite, sha256, threads, runtime.
        classifier: split layout only: the float classifier (name or path). Default: the manifest's
            ``params.classifier``, else ``<model stem minus precision>-classifier.tflite`` next to the model.
        (head): a manifest entry's ``params.head`` (.npz, sha256 ``params.head_sha256``) replaces the
            file's classifier: its classes and labels are the head's.
        labels: label file (one per line). Default: the manifest's ``params.labels`` in
            ``tflite_models/``, else ``<stem>-labels.txt`` next to the model, else ``class_<i>``.
        actions: the reported subset / groups of labels (:class:`~edge_sdk.action.labels.LabelSet`):
            :attr:`names`, the order of :meth:`scores`.
        pool_frames / pool_mode: bound of the in-graph running pools and how (:class:`StreamModel`).
        window_frames: split layout: average the last n processed frames' features; None = all
            frames since the last reset (the official behaviour).
    Attributes:
        names: what :meth:`scores` scores, in order.
        input_size: S of the (S, S, 3) RGB model frames :meth:`scores` takes.
        fps: the model's own rate in model frames per second (the manifest's ``params.fps``), or None.
    """

    name = "movinet"

    def __init__(self, options: ActionOptions | None = None) -> None:
        t0 = time.perf_counter()
        self.options = o = options or ActionOptions()
        runtime = o.asset.runtime
        self.model: ResolvedModel = resolve_model(o.asset.model, expected_sha256=o.asset.sha256, task="action")
        self._loaded = load_interpreter(self.model.path, o.asset.num_threads, runtime)
        self.stream = StreamModel(self._loaded, self.model.path, o.pool_frames, o.pool_mode)
        if self.stream.pools.unreadable:  # the window reads the graph's per-frame pool input
            self._loaded = load_interpreter(self.model.path, o.asset.num_threads, runtime,
                                            expose=self.stream.pools.unreadable)
            self.stream = StreamModel(self._loaded, self.model.path, o.pool_frames, o.pool_mode)
        _warn_in_graph_sum(self.stream, self.model.path)
        self.classifier: ResolvedModel | None = None
        self._cls: LoadedInterpreter | None = None
        self.head: ActionHead | None = None
        self.head_path: Path | None = None
        if self._entry_param("head"):
            self.head = self._load_head()
            self.num_classes = len(self.head.labels)
        elif self.stream.layout == "split":
            self.classifier = self._find_classifier(o.classifier)
            self._cls = load_interpreter(self.classifier.path, 1, runtime)
            cin = self._cls.interpreter.get_input_details()[0]
            if int(cin["shape"][-1]) != self.stream.output_dim:
                raise ModelLoadError(f"classifier {self.classifier.path} takes {int(cin['shape'][-1])} features, "
                                     f"the stream model emits {self.stream.output_dim}")
            self._cls_in = cin["index"]
            self._cls_out = self._cls.interpreter.get_output_details()[0]["index"]
            self.num_classes = int(self._cls.interpreter.get_output_details()[0]["shape"][-1])
        else:
            self.num_classes = self.stream.output_dim
        self.labels = self.head.labels if self.head is not None and o.labels is None else self._find_labels(o.labels)
        if len(self.labels) != self.num_classes:
            raise ConfigError(f"{len(self.labels)} labels for a model with {self.num_classes} classes: the label file "
                              "must list one label per model output, in output order")
        self.label_set = LabelSet(self.labels, o.actions)
        self.names: tuple[str, ...] = tuple(self.label_set.names)
        self.input_size = self.stream.input_size
        fps = self._entry_param("fps")
        self.fps: float | None = float(fps) if fps else None
        self.window_frames = o.window_frames
        self.load_ms = (time.perf_counter() - t0) * 1e3
        self.resets = 0
        self.model_frames = 0
        self.reset()
        self.resets = 0

    @classmethod
    def from_model(cls, model: str | os.PathLike, *, num_threads: int | None = None, runtime: str = "auto",
                   expected_sha256: str | None = None, **options: Any) -> "MovinetActionBackend":
        """``MovinetActionBackend(ActionOptions(asset=ModelAsset(model, ...), **options))``."""
        return cls(ActionOptions(asset=ModelAsset(os.fspath(model), expected_sha256, num_threads, runtime), **options))

    # -- model files ---------------------------------------------------------------------
    def _entry_param(self, key: str) -> Any:
        return (self.model.entry.params or {}).get(key) if self.model.entry else None

    def _sibling(self, suffix: str) -> Path:
        stem = self.model.path.stem
        base = stem.rsplit("-", 1)[0] if "-" in stem else stem
        return self.model.path.with_name(base + suffix)

    def _find_classifier(self, classifier: str | None) -> ResolvedModel:
        name = classifier or self._entry_param("classifier")
        if name:
            return resolve_model(name)
        sib = self._sibling("-classifier.tflite")
        if sib.is_file():
            return resolve_model(sib)
        raise ModelNotFoundError(f"{self.model.path} emits features: pass its classifier (e.g. {sib.name})")

    def _load_head(self) -> ActionHead:
        """The manifest entry's ``params.head`` (an .npz in ``<cache>/models``, sha256 ``params.head_sha256``)
        on this stream's pooled embedding."""
        name = str(self._entry_param("head"))
        path = next((d / name for d in (cache_dir() / "models", shipped_dir()) if (d / name).is_file()),
                    cache_dir() / "models" / name)
        head = load_head(path, self._entry_param("head_sha256") or None)
        if self.stream.embedding_dim != head.dim:
            raise ModelLoadError(f"action head {path} reads a {head.dim}-value embedding; {self.model.path} keeps "
                                 f"{self.stream.embedding_dim or 'no'} pooled embedding")
        if head.base_sha256 and head.base_sha256 != self.model.sha256:
            raise ModelIntegrityError(f"action head {path} was trained on the stream file with sha256 "
                                      f"{head.base_sha256}, not on {self.model.path} ({self.model.sha256})")
        self.head_path = path
        return head

    def _find_labels(self, labels: str | os.PathLike | None) -> tuple[str, ...]:
        if labels is not None:
            return load_labels(labels)
        name = self._entry_param("labels")
        candidates = [shipped_dir() / name, cache_dir() / "models" / name] if name else []
        candidates.append(self._sibling("-labels.txt"))
        if self.num_classes == 600:  # an official Kinetics-600 file given by path
            candidates.append(shipped_dir() / "movinet-k600-labels.txt")
        for c in candidates:
            if c.is_file():
                return load_labels(c)
        return tuple(f"class_{i}" for i in range(self.num_classes))

    # -- stream --------------------------------------------------------------------------
    def reset(self) -> None:
        """Start a new stream: clear the carried states and the running mean."""
        self.stream.reset()
        self._head_reset()
        self.resets += 1

    def _head_reset(self) -> None:
        self._sum = np.zeros(self.stream.output_dim, np.float64)
        self._window: deque[np.ndarray] = deque(maxlen=self.window_frames or None)
        self._count = 0

    def save(self) -> StreamState:
        """The current stream (to run several streams, e.g. one per person, on this one model)."""
        head = (self._sum.copy(), list(self._window), self._count) if self._cls is not None else None
        return StreamState(self.stream.save_states(), head)

    def load(self, state: StreamState | None) -> None:
        """Continue the stream :meth:`save` returned (None: a new stream)."""
        self.stream.load_states(state.states if state is not None else None)
        if state is None or state.head is None:
            self._head_reset()
        else:
            s, w, self._count = state.head
            self._sum = s.copy()
            self._window = deque(w, maxlen=self.window_frames or None)

    def scores(self, rgb: np.ndarray) -> np.ndarray:
        """One model frame: (S, S, 3) uint8 RGB (S = :attr:`input_size`) -> (len(:attr:`names`),) float64
        scores (the stream advances)."""
        if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.shape == (self.input_size,) * 2 + (3,)):
            got = f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
            raise InvalidFrameError(f"expected a ({self.input_size}, {self.input_size}, 3) uint8 RGB model frame, got {got}")
        self.model_frames += 1
        return self.label_set.scores(_softmax(self._classify(self.stream.step(rgb)).astype(np.float64)))

    def _classify(self, y: np.ndarray) -> np.ndarray:
        if self.head is not None:
            return self.head.logits(self.stream.embedding())
        if self._cls is None:
            return y
        self._count += 1
        if self.window_frames:
            self._window.append(y)
            mean = np.mean(self._window, axis=0)
        else:
            self._sum += y
            mean = self._sum / self._count
        interp = self._cls.interpreter
        interp.set_tensor(self._cls_in, mean.astype(np.float32)[None])
        interp.invoke()
        return interp.get_tensor(self._cls_out).reshape(-1)

    def logits(self, rgb_frames: np.ndarray) -> np.ndarray:
        """Per-frame logits [T, C] of (T, S, S, 3) uint8 RGB model-size frames from a fresh stream
        (for evaluation; resets before and after)."""
        if rgb_frames.ndim != 4 or rgb_frames.shape[1:] != (self.stream.input_size,) * 2 + (3,):
            raise InvalidFrameError(f"expected (T, {self.stream.input_size}, {self.stream.input_size}, 3) uint8 RGB")
        self.reset()
        out = np.stack([self._classify(self.stream.step(f)) for f in rgb_frames])
        self.reset()
        return out

    def describe(self) -> dict:
        m = self.model
        return {
            "backend": self.name, "model": m.name, "path": str(m.path), "sha256": m.sha256,
            "demo": bool(self._entry_param("demo")),
            "classifier": str(self.classifier.path) if self.classifier else None,
            "head": str(self.head_path) if self.head_path else None,
            "layout": self.stream.layout, "input_size": self.stream.input_size, "classes": self.num_classes,
            "actions": len(self.label_set), "states": len(self.stream.states), "state_bytes": self.stream.state_bytes,
            "int8_running_sum_in_graph": bool(self.stream.quantized_sums),
            "pool_frames": self.stream.pool_frames if self.stream.pool_mode else None,
            "pool_mode": self.stream.pool_mode, "pool_input_read_by": self._loaded.exposed_by,
            "runtime": self._loaded.runtime, "runtime_version": self._loaded.version,
            "num_threads": self._loaded.num_threads, "fps": self.fps,
            "window_frames": self.window_frames, "load_ms": round(self.load_ms, 1),
        }

    def close(self) -> None:
        self._cls = None
        self._loaded = None  # type: ignore[assignment]

    def __enter__(self) -> "MovinetActionBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
