"""Letterbox: fit a frame (or a crop of it) into a W x H model input and map points back.

Coordinates: ``frame`` pixels are (x, y) in the caller's BGR frame; ``normalized`` are
(y, x) in [0, 1] of the model input, per axis (y / H, x / W), as MoveNet emits them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Letterbox"]

MAX_SCRATCH = 8  # resize buffers kept per scratch dict


@dataclass(frozen=True)
class Letterbox:
    """Aspect-preserving resize of a frame region into a ``width`` x ``height`` input, centred, zero padded.

    Attributes:
        width, height: size of the model input, pixels (equal for a square input).
        x0, y0: top-left corner of the source region in the frame, pixels.
        src_w, src_h: size of the source region, pixels.
        scale: model pixels per frame pixel.
        pad_x, pad_y: left/top padding in the model input, pixels.
        new_w, new_h: size of the resized region inside the model input, pixels.
    """

    width: int
    height: int
    x0: int
    y0: int
    src_w: int
    src_h: int
    scale: float
    pad_x: int
    pad_y: int
    new_w: int
    new_h: int
    # Reused intermediate buffers of the resize cascade (not part of the geometry).
    _scratch: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def fit(
        cls,
        frame_hw: tuple[int, int],
        size: int | tuple[int, int],
        region: tuple[int, int, int, int] | None = None,
        scratch: dict | None = None,
    ) -> "Letterbox":
        """Plan the letterbox for a frame of ``frame_hw`` = (h, w) into a ``size`` x ``size`` input, or
        ``size`` = (W, H); ``region`` = (x0, y0, w, h) pixels inside the frame. ``scratch`` shares
        resize buffers between letterboxes (e.g. a moving crop)."""
        out_w, out_h = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
        x0, y0, w, h = region if region is not None else (0, 0, frame_hw[1], frame_hw[0])
        scale = min(out_w / w, out_h / h)
        new_w = max(1, min(out_w, int(round(w * scale))))
        new_h = max(1, min(out_h, int(round(h * scale))))
        return cls(out_w, out_h, x0, y0, w, h, scale, (out_w - new_w) // 2, (out_h - new_h) // 2, new_w, new_h,
                   scratch if scratch is not None else {})

    def apply(self, bgr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Write the RGB letterboxed region of ``bgr`` into ``out`` (``height`` x ``width`` x 3 uint8) and return it.

        With ``out`` given, nothing is allocated when the padding is top/bottom (frames wider than
        the input) or absent: the resize and the colour swap write straight into ``out``.
        """
        import cv2

        if out is None:
            out = np.zeros((self.height, self.width, 3), np.uint8)
        src = bgr[self.y0 : self.y0 + self.src_h, self.x0 : self.x0 + self.src_w]
        # Antialiased downscale: exact 2x bilinear halvings (each a 2x2 box filter; together the
        # same as INTER_AREA within 1 grey level at a third of its cost), then one bilinear step.
        sizes = []
        w, h = self.src_w, self.src_h
        while w >= 2 * self.new_w and h >= 2 * self.new_h:
            w, h = w // 2, h // 2
            sizes.append((w, h))
        if (w, h) != (self.new_w, self.new_h):
            sizes.append((self.new_w, self.new_h))
        if self.pad_y:
            out[: self.pad_y] = 0
            out[self.pad_y + self.new_h :] = 0
        if self.pad_x:
            out[:, : self.pad_x] = 0
            out[:, self.pad_x + self.new_w :] = 0
        dst = out[self.pad_y : self.pad_y + self.new_h, self.pad_x : self.pad_x + self.new_w]
        final = dst if dst.flags.c_contiguous else self._buffer((self.new_w, self.new_h))
        for i, size in enumerate(sizes):
            target = final if i == len(sizes) - 1 else self._buffer(size)
            src = cv2.resize(src, size, dst=target, interpolation=cv2.INTER_LINEAR)
        if not sizes:  # region already at model size
            np.copyto(final, src)
        cv2.cvtColor(final, cv2.COLOR_BGR2RGB, dst=final)
        if final is not dst:
            np.copyto(dst, final)
        return out

    def _buffer(self, size: tuple[int, int]) -> np.ndarray:
        buf = self._scratch.get(size)
        if buf is None:
            if len(self._scratch) >= MAX_SCRATCH:  # a moving crop changes sizes: keep memory bounded
                self._scratch.clear()
            buf = self._scratch[size] = np.empty((size[1], size[0], 3), np.uint8)
        return buf

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(2,) float32 ``scale`` and ``offset``: frame (x, y) = normalized (x, y) * scale + offset."""
        scale = np.array([self.width / self.scale, self.height / self.scale], np.float32)
        offset = np.array([self.x0 - self.pad_x / self.scale, self.y0 - self.pad_y / self.scale], np.float32)
        return scale, offset

    def to_frame(self, yx: np.ndarray) -> np.ndarray:
        """(N, 2) normalized (y, x) in the model input -> (N, 2) float32 (x, y) frame pixels."""
        scale, offset = self.affine()
        return np.asarray(yx, np.float32)[:, ::-1] * scale + offset
