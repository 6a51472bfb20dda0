"""MoveNet single-pose decode in numpy, op for op as in the TF.js/TF Hub graph.

Inputs are the four head maps on the G x G grid (G = input size / 4):
``heatmap`` (G,G,17) and ``center`` (G,G,1) logits, ``regress`` (G,G,34) and ``offset``
(G,G,34) in grid cells. The graph:

1. centre = argmax(sigmoid(center) * W), W = 1 / (distance to the grid centre + 1.8);
2. coarse keypoint k = centre + regress[centre][k] (dy, dx);
3. per keypoint, argmax(sigmoid(heatmap_k) / (distance to coarse k + 1.8));
4. keypoint = (cell + offset[cell][k]) / G, score = sigmoid(heatmap_k)[cell].

Constants are the graph's own (stored float16 in the TF.js weights); conversion/ asserts they match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["DecodeConstants", "MoveNetDecoder", "decode_constants", "center_weight_map", "decode", "sigmoid_lut"]

NUM_KEYPOINTS = 17


@dataclass(frozen=True)
class DecodeConstants:
    grid: int
    distance_bias: float  # 1.8, as float16 in the graph
    scale: float  # 1 / grid, as float16 in the graph


def decode_constants(grid: int) -> DecodeConstants:
    return DecodeConstants(grid, float(np.float16(1.8)), float(np.float16(1.0 / grid)))


@cache
def center_weight_map(grid: int) -> np.ndarray:
    """(G, G) float32 weight the graph multiplies the centre heatmap by (float16-rounded; read-only)."""
    yy, xx = np.mgrid[0:grid, 0:grid].astype(np.float64)
    c = grid // 2
    w = (1.0 / (np.sqrt((yy - c) ** 2 + (xx - c) ** 2) + 1.8)).astype(np.float16).astype(np.float32)
    w.setflags(write=False)
    return w


def sigmoid_lut(scale: float, zero_point: int) -> np.ndarray:
    """(256,) float32 sigmoid of each int8 value under (scale, zero_point), indexed by the int8 bit
    pattern read as uint8 (``q.view(np.uint8)``), so a lookup needs no index arithmetic."""
    q = np.arange(256, dtype=np.uint8).view(np.int8).astype(np.float32)
    return (1.0 / (1.0 + np.exp(-(q - zero_point) * scale))).astype(np.float32)


class MoveNetDecoder:
    """Decodes head maps of one grid size; work buffers are allocated once and reused every frame.

    Buffers are keypoint-major (17, G, G) so every per-keypoint argmax scans contiguous memory.
    Not thread-safe (the buffers are shared between calls).
    """

    def __init__(self, grid: int) -> None:
        self.grid = grid
        self.k = decode_constants(grid)
        self._weights = center_weight_map(grid)
        self._cells = np.arange(grid, dtype=np.float32)
        self._hm = np.empty((NUM_KEYPOINTS, grid, grid), np.float32)
        self._ct = np.empty((grid, grid), np.float32)
        self._work = np.empty((NUM_KEYPOINTS, grid, grid), np.float32)
        self._dy2 = np.empty((NUM_KEYPOINTS, grid), np.float32)
        self._dx2 = np.empty((NUM_KEYPOINTS, grid), np.float32)
        self._kid = np.arange(NUM_KEYPOINTS)

    @staticmethod
    def _sigmoid(x: np.ndarray, out: np.ndarray) -> None:
        np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)

    def probabilities(self, heatmap: np.ndarray, center: np.ndarray, heatmap_lut=None, center_lut=None):
        """Sigmoid of heatmap (G,G,17) and centre (G,G,1) logits into the reusable buffers: returns
        (17,G,G) and (G,G) probabilities. With a LUT (:func:`sigmoid_lut`) the maps are int8."""
        hm_t = heatmap.transpose(2, 0, 1)
        if heatmap_lut is not None:
            np.take(heatmap_lut, hm_t.view(np.uint8), out=self._hm)
        else:
            self._sigmoid(hm_t, self._hm)
        c = center[..., 0]
        if center_lut is not None:
            np.take(center_lut, c.view(np.uint8), out=self._ct)
        else:
            self._sigmoid(c, self._ct)
        return self._hm, self._ct

    def decode(
        self,
        hm: np.ndarray,
        ct: np.ndarray,
        regress: np.ndarray,
        offset: np.ndarray,
        regress_qparams: tuple[float, float] = (1.0, 0.0),
        offset_qparams: tuple[float, float] = (1.0, 0.0),
    ) -> np.ndarray:
        """(17, 3) float32 (y, x, score) from probabilities ``hm`` (17,G,G), ``ct`` (G,G) and the
        (possibly int8, with (scale, zero_point)) ``regress``/``offset`` maps (G,G,34)."""
        grid = self.grid
        if hm.shape != (NUM_KEYPOINTS, grid, grid) or ct.shape != (grid, grid):
            raise ValueError(f"expected heatmap (17,{grid},{grid}) and center ({grid},{grid}), got {hm.shape}, {ct.shape}")
        if regress.shape != (grid, grid, 2 * NUM_KEYPOINTS) or offset.shape != (grid, grid, 2 * NUM_KEYPOINTS):
            raise ValueError(f"expected regress/offset ({grid},{grid},34), got {regress.shape}, {offset.shape}")
        cidx = int(np.argmax(ct * self._weights))
        cy, cx = divmod(cidx, grid)
        rs, rz = np.float32(regress_qparams[0]), np.float32(regress_qparams[1])
        reg = ((regress[cy, cx].astype(np.float32) - rz) * rs).reshape(NUM_KEYPOINTS, 2)
        np.subtract(self._cells[None, :], (np.float32(cy) + reg[:, 0])[:, None], out=self._dy2)
        np.square(self._dy2, out=self._dy2)
        np.subtract(self._cells[None, :], (np.float32(cx) + reg[:, 1])[:, None], out=self._dx2)
        np.square(self._dx2, out=self._dx2)
        w = self._work
        np.add(self._dy2[:, :, None], self._dx2[:, None, :], out=w)
        np.sqrt(w, out=w)
        w += np.float32(self.k.distance_bias)
        np.divide(hm, w, out=w)
        flat = np.argmax(w.reshape(NUM_KEYPOINTS, grid * grid), axis=1)
        py, px = np.divmod(flat, grid)
        kid = self._kid
        os_, oz = np.float32(offset_qparams[0]), np.float32(offset_qparams[1])
        off_y = (offset[py, px, 2 * kid].astype(np.float32) - oz) * os_
        off_x = (offset[py, px, 2 * kid + 1].astype(np.float32) - oz) * os_
        out = np.empty((NUM_KEYPOINTS, 3), np.float32)
        out[:, 0] = (py.astype(np.float32) + off_y) * np.float32(self.k.scale)
        out[:, 1] = (px.astype(np.float32) + off_x) * np.float32(self.k.scale)
        out[:, 2] = hm[kid, py, px]
        return out


def decode(heatmap: np.ndarray, center: np.ndarray, regress: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """One-shot float decode of logit maps (allocates a decoder; use :class:`MoveNetDecoder` per stream)."""
    d = MoveNetDecoder(heatmap.shape[0])
    hm, ct = d.probabilities(heatmap.astype(np.float32), center.astype(np.float32))
    return d.decode(hm, ct, regress, offset)
