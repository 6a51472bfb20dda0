"""The running pools an official MoViNet stream file keeps inside its graph, kept right on long streams.

Each pool is a state pair ``*_pool_buffer`` (float [.., D] at the boundary) + ``*_pool_frame_count``
(int32 [1]). Per frame the graph adds this frame's spatial mean ``x`` (D values) to the buffer, adds 1
to the count and divides: its classifier reads buffer / count. In the int8 Kinetics-600 A0 file only the
head pool is used (the 15 squeeze-excitation pool states are passed through untouched) and its sum is
quantized inside the graph: 256 steps of 0.574 over [0, 146] while ``x`` is in [0, 6] (step 0.0235) with
most channels' means below 0.3, half a step of the sum. Scaling such a sum down each frame (``scaled``)
rounds the decrement away for those channels, so the bounded mean drifts: it is the quantization, not
the window length, that bounds its accuracy.

``window`` keeps the pool in float outside the graph instead: after each frame it reads ``x`` (the
graph's own per-frame pool input, kept readable: ``LoadedInterpreter.readable``) into a
ring of the last ``frames`` model frames, and feeds the graph the sum of the last ``frames - 1`` with
that count, so the mean the graph's classifier reads is the true mean of the last ``frames`` frames
(error <= one step of the in-graph sum / count). A sum that would leave the in-graph range is fed as
the same mean over fewer frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config.common import POOL_MODES

__all__ = ["POOL_MODES", "PoolInfo", "InGraphPools"]


@dataclass(frozen=True)
class PoolInfo:
    """One in-graph running pool.

    Attributes:
        name: state name prefix (``state_head_pool``).
        dim: D, values per frame.
        used: False when the graph passes the state through untouched.
        sum_step: quantization step of the sum inside the graph (None: float).
        sum_range: (low, high) the in-graph sum can hold (None: float).
        contribution: name of the tensor the graph adds to the sum each frame (None: not found).
    """

    name: str
    dim: int
    used: bool
    sum_step: float | None
    sum_range: tuple[float, float] | None
    contribution: str | None


@dataclass
class _Pool:
    info: PoolInfo
    buf: Any  # the stream's state records (name, in_index, out_index, dtype, shape)
    cnt: Any
    x_index: int | None
    x_q: tuple[float, int] | None  # (scale, zero point) of an int8/uint8 contribution
    lo: float  # fed sum must stay in [lo, hi] so that sum + x fits the in-graph range
    hi: float
    sl: slice = field(default_factory=lambda: slice(0))


def _q_range(d: dict) -> tuple[float, float, float | None]:
    """(low, high, step) a tensor holds (+-inf, None for float)."""
    scale, zp = d["quantization"]
    if d["dtype"] in (np.int8, np.uint8, np.int16) and scale > 0:
        info = np.iinfo(d["dtype"])
        return (info.min - zp) * scale, (info.max - zp) * scale, float(scale)
    return -np.inf, np.inf, None


def _graph_of(interp: Any) -> tuple[dict[int, dict], dict[int, dict]] | None:
    """(tensor index -> producing op, tensor index -> details), None when the runtime lists no ops."""
    try:
        ops = interp._get_ops_details()
    except (AttributeError, RuntimeError, ValueError):
        return None
    producers = {o: op for op in ops if op.get("op_name") != "DELEGATE" for o in op["outputs"]}
    return producers, {d["index"]: d for d in interp.get_tensor_details()}


def _find_pool(graph: tuple[dict, dict] | None, name: str, buf: Any, cnt: Any) -> _Pool:
    dim = int(np.prod(buf.shape))
    if buf.out_index == buf.in_index:
        return _Pool(PoolInfo(name, dim, False, None, None, None), buf, cnt, None, None, 0.0, 0.0)
    none = _Pool(PoolInfo(name, dim, True, None, None, None), buf, cnt, None, None, 0.0, 0.0)
    if graph is None:
        return none
    producers, details = graph
    op = producers.get(buf.out_index)
    if op is not None and op["op_name"] == "DEQUANTIZE":
        op = producers.get(op["inputs"][0])
    if op is None or op["op_name"] != "ADD" or len(op["inputs"]) != 2:
        return none

    def carried(i: int) -> bool:
        p = producers.get(i)
        return i == buf.in_index or (p is not None and p["op_name"] == "QUANTIZE" and p["inputs"][0] == buf.in_index)

    a, b = op["inputs"]
    if carried(a) == carried(b):
        return none
    carry, x = (a, b) if carried(a) else (b, a)
    dx = details[x]
    if int(np.prod(dx["shape"])) != dim:
        return none
    in_lo, in_hi, step = _q_range(details[carry])
    out_lo, out_hi, _ = _q_range(details[op["outputs"][0]])
    x_lo, x_hi, x_step = _q_range(dx)
    # the fed sum s must fit the sum's input range, and s + x the sum's output range
    hi = min(in_hi, out_hi - max(x_hi, 0.0)) if np.isfinite(out_hi) else in_hi
    lo = max(in_lo, out_lo - min(x_lo, 0.0)) if np.isfinite(out_lo) else in_lo
    if not hi > 0 >= lo:
        return none
    rng = (float(max(in_lo, out_lo)), float(min(in_hi, out_hi))) if step is not None else None
    info = PoolInfo(name, dim, True, step, rng, str(dx["name"]))
    x_q = (float(dx["quantization"][0]), int(dx["quantization"][1])) if x_step is not None else None
    return _Pool(info, buf, cnt, x, x_q, float(lo), float(hi))


class InGraphPools:
    """The running pools of a ``graph``-layout stream model, bounded to about ``frames`` model frames.

    Args:
        interp: the stream's interpreter.
        pairs: (buffer state, frame-count state) records, matched by name.
        frames: window / bound in model frames (None: unbounded, the file's own behaviour).
        mode: ``window`` (float pool outside the graph, needs the pools' per-frame inputs readable) or
            ``scaled``.
        readable: names of the interpreter's intermediate tensors readable after ``invoke``.
    Attributes:
        mode: the mode in effect: ``window``, ``scaled`` or None (unbounded / no pool in use).
        unreadable: tensor names ``window`` was asked for and would work with, were they readable
            (``load_interpreter(expose=...)``); empty when nothing is missing.
        info: one :class:`PoolInfo` per pool.
    """

    def __init__(self, interp: Any, pairs: list[tuple[Any, Any]], frames: int | None, mode: str = "window",
                 readable: frozenset[str] = frozenset()) -> None:
        self._interp = interp
        self.frames = frames
        graph = _graph_of(interp) if pairs else None
        pools = [_find_pool(graph, b.name[: -len("_buffer")], b, c) for b, c in pairs]
        self.info = tuple(p.info for p in pools)
        self._used = [p for p in pools if p.info.used]
        windowable = bool(self._used) and all(p.info.contribution is not None for p in self._used)
        wanted = tuple(str(p.info.contribution) for p in self._used) if windowable else ()
        self.unreadable = tuple(n for n in wanted if n not in readable) if frames and mode == "window" else ()
        if not frames or not self._used:
            self.mode = None
        elif mode == "window" and windowable and not self.unreadable:
            self.mode = "window"
        else:
            self.mode = "scaled"
        self.window_unavailable = bool(frames) and mode == "window" and self.mode == "scaled"
        off = 0
        for p in self._used:
            p.sl = slice(off, off + p.info.dim)
            off += p.info.dim
        self._ring = np.zeros((frames or 0, off) if self.mode == "window" else (0, 0), np.float32)
        self._n = self._pos = 0

    def reset(self) -> None:
        """Empty the window (the in-graph states are zeroed by the stream)."""
        self._n = self._pos = 0

    def after_step(self) -> None:
        """After the graph's states were fed back: record this frame and set the pools for the next."""
        if self.mode == "window":
            interp = self._interp
            for p in self._used:
                x = interp.get_tensor(p.x_index).reshape(-1)
                if p.x_q is not None:
                    x = (x.astype(np.float32) - p.x_q[1]) * np.float32(p.x_q[0])
                self._ring[self._pos, p.sl] = x
            self._pos = (self._pos + 1) % self.frames
            self._n = min(self._n + 1, self.frames)
            self._feed()
        elif self.mode == "scaled":
            self._scale()

    def _feed(self) -> None:
        """Pools <- sum and count of the last ``frames - 1`` frames (the graph adds the next one)."""
        n = self._n
        total = self._ring[:n].sum(axis=0, dtype=np.float64)
        count = n
        if n == self.frames:
            total -= self._ring[self._pos]  # the oldest frame leaves the window
            count = n - 1
        for p in self._used:
            s, c = total[p.sl], count
            top, bottom = float(s.max(initial=0.0)), float(s.min(initial=0.0))
            k = p.hi / top if top > p.hi else 1.0
            if bottom < p.lo < 0:
                k = min(k, p.lo / bottom)
            if k < 1.0:  # the same mean over fewer frames, inside the in-graph range
                c2 = int(c * k)
                s = s * (c2 / c)
                c = c2
            s = np.clip(s, p.lo, p.hi)  # float residue of the window's subtraction (e.g. -1e-9 for 0)
            self._interp.tensor(p.buf.in_index)()[...] = s.astype(np.float32).reshape(p.buf.shape)
            self._interp.tensor(p.cnt.in_index)()[...] = c

    def _scale(self) -> None:
        """Once a count passes ``frames``: scale buffer and count down together (an exponentially
        weighted mean, as far as the in-graph quantization of the sum lets it)."""
        n = self.frames
        for p in self._used:
            c = self._interp.tensor(p.cnt.in_index)()
            k = int(c.reshape(-1)[0])
            if k > n:
                b = self._interp.tensor(p.buf.in_index)()
                b *= np.float32(n / k)
                c[...] = n
                del b
            del c

    def window_mean(self, name: str) -> np.ndarray | None:
        """(D,) float32: the window's exact mean of pool ``name`` (``window`` mode; zeros before the
        first frame), None in the other modes or for a pool not in use."""
        if self.mode != "window":
            return None
        p = next((p for p in self._used if p.info.name == name), None)
        if p is None:
            return None
        if self._n == 0:
            return np.zeros(p.info.dim, np.float32)
        return self._ring[: self._n, p.sl].mean(axis=0, dtype=np.float64).astype(np.float32)

    def save(self) -> list[np.ndarray]:
        """The window (copies), to go with the stream's saved states."""
        return [self._ring.copy(), np.array([self._n, self._pos], np.int64)] if self.mode == "window" else []

    def load(self, saved: list[np.ndarray]) -> None:
        """Carry on from :meth:`save` (an empty list: an empty window)."""
        if self.mode != "window":
            return
        if len(saved) == 2 and saved[0].shape == self._ring.shape:
            np.copyto(self._ring, saved[0])
            self._n, self._pos = (int(v) for v in saved[1])
        else:
            self.reset()
