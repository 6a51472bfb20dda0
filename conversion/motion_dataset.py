"""Synthetic videos whose classes differ only in time.

One textured shape on a noisy textured background either moves left or right, grows or shrinks,
or rotates clockwise or counter-clockwise (``EXTRA_CLASSES``: moves up or down). Every single frame is drawn from the same
distribution in every class (position, size, angle, colours are uniform), so one frame cannot
tell the classes apart: a model has to use motion. Motion wraps around (the shape re-enters on
the other side, sizes restart), so streams can be as long as needed.

    python -m conversion.motion_dataset OUT_DIR --clips-per-class 8   # OUT_DIR/<label>/<n>.mp4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

__all__ = ["CLASSES", "EXTRA_CLASSES", "ALL_CLASSES", "make_clip", "make_batch", "write_dataset"]

CLASSES = ("moving_left", "moving_right", "growing", "shrinking", "rotating_cw", "rotating_ccw")
EXTRA_CLASSES = ("moving_up", "moving_down")  # not in the demo model: for fine-tuning it to new classes
ALL_CLASSES = CLASSES + EXTRA_CLASSES

# Asymmetric outlines (unit square, centred) so rotation direction is visible.
_SHAPES = (
    np.array([[-1, -0.35], [0.3, -0.35], [0.3, -0.8], [1, 0], [0.3, 0.8], [0.3, 0.35], [-1, 0.35]]),  # arrow
    np.array([[-0.8, -1], [-0.2, -1], [-0.2, 0.4], [0.8, 0.4], [0.8, 1], [-0.8, 1]]),  # L
    np.array([[-1, -0.7], [1, 0], [-1, 0.7], [-0.4, 0]]),  # dart
    np.array([[-1, -0.5], [0.2, -0.9], [1, 0.1], [0.1, 0.9], [-0.6, 0.6]]),  # irregular pentagon
)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    coarse = rng.integers(0, 256, (6, 6, 3)).astype(np.uint8)
    bg = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    fine = rng.normal(0, 18, (size, size, 3)).astype(np.float32)
    return np.clip(bg * 0.7 + fine + 30, 0, 255)


def make_clip(label: int | str, rng: np.random.Generator, frames: int = 16, size: int = 64) -> np.ndarray:
    """(frames, size, size, 3) uint8 BGR clip of class ``CLASSES[label]`` (or the class named ``label``)."""
    name = label if isinstance(label, str) else CLASSES[label]
    if name not in ALL_CLASSES:
        raise ValueError(f"unknown class {name!r}; known: {ALL_CLASSES}")
    bg = _background(rng, size)
    shape = _SHAPES[rng.integers(len(_SHAPES))]
    color = rng.integers(0, 256, 3)
    while np.abs(color - bg.mean((0, 1))).sum() < 120:  # keep the shape visible on its background
        color = rng.integers(0, 256, 3)
    pos = rng.uniform(0, size, 2)
    r_min, r_max = 0.12 * size, 0.3 * size
    radius = rng.uniform(r_min, r_max)
    angle = rng.uniform(0, 2 * np.pi)
    speed = rng.uniform(0.07, 0.11) * size  # pixels per frame
    growth = rng.uniform(0.08, 0.12)  # relative size change per frame
    spin = np.deg2rad(rng.uniform(15, 25))  # radians per frame
    step = {"moving_left": (-speed, 0), "moving_right": (speed, 0), "moving_up": (0, -speed),
            "moving_down": (0, speed)}.get(name, (0.0, 0.0))
    out = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        img = bg.copy()
        c, s = np.cos(angle), np.sin(angle)
        pts = shape @ np.array([[c, s], [-s, c]]) * radius
        for dx in (-size, 0, size):  # wrap-around copies
            for dy in (-size, 0, size):
                poly = np.round((pts + pos + (dx, dy)) * 16).astype(np.int32)
                cv2.fillPoly(img, [poly], color.tolist(), cv2.LINE_AA, shift=4)
        img += rng.normal(0, 6, img.shape).astype(np.float32)  # sensor noise, new every frame
        out[t] = np.clip(img, 0, 255).astype(np.uint8)
        pos = (pos + step) % size
        if name == "growing":
            radius = radius * (1 + growth) if radius * (1 + growth) <= r_max else r_min
        elif name == "shrinking":
            radius = radius / (1 + growth) if radius / (1 + growth) >= r_min else r_max
        elif name == "rotating_cw":
            angle += spin  # image y points down: a positive angle turns clockwise on screen
        elif name == "rotating_ccw":
            angle -= spin
    return out


def make_batch(rng: np.random.Generator, batch: int, frames: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(clips [B, T, S, S, 3] uint8 BGR, labels [B] int32), classes drawn uniformly."""
    labels = rng.integers(0, len(CLASSES), batch).astype(np.int32)
    return np.stack([make_clip(int(y), rng, frames, size) for y in labels]), labels


def write_dataset(out: Path, clips_per_class: int, frames: int = 24, size: int = 64, seed: int = 0,
                  fps: float = 10.0, classes: tuple[str, ...] = CLASSES) -> Path:
    """Write ``out/<label>/<n>.mp4`` (the layout ``edge-sdk models finetune-action`` reads)."""
    rng = np.random.default_rng(seed)
    for name in classes:
        (out / name).mkdir(parents=True, exist_ok=True)
        for n in range(clips_per_class):
            clip = make_clip(name, rng, frames, size)
            w = cv2.VideoWriter(str(out / name / f"{n:03d}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
            for f in clip:
                w.write(f)
            w.release()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--clips-per-class", type=int, default=8)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--classes", default=",".join(CLASSES), help=f"comma-separated, from {ALL_CLASSES}")
    args = ap.parse_args(argv)
    print(write_dataset(args.out, args.clips_per_class, args.frames, args.size, args.seed,
                        classes=tuple(args.classes.split(","))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
