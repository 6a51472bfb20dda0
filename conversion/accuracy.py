"""Keypoint deviation of converted MoveNet models vs the float TF.js graph, on fixed real images.

Each model runs through the SDK's own backend (letterbox, invoke, numpy decode, inverse mapping);
the reference is the TF.js graph run by TensorFlow in float32 on the same letterboxed input.
Deviation of a keypoint = pixel distance / diagonal of the person's bbox (reference keypoints
scoring >= 0.3). Listed but not scored: images where the reference finds no person (pose score
< 0.2, the backend's default ``min_pose_score``) and people spanning fewer than 6 heatmap cells
(24 px of a 192 input), below the model's resolution, where the float keypoints are noise too.

Gate (``check_gate``): on close-ups (person bbox diagonal >= 25% of the model input side) the int8
mean deviation must be <= 3% of the bbox diagonal on every image. For small people the limit is
10%: there one 1/48-of-input heatmap cell is already 9-15% of the diagonal, so 10% means "within
about half a cell of float"; crop tracking (video mode) turns small people into close-ups.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from conversion.movenet_tfjs import VARIANTS, FloatReference, evaluation_images
from edge_sdk.models import resolve_model, shipped_dir
from edge_sdk.pose.movenet import MoveNetBackend
from edge_sdk.video.letterbox import Letterbox

MIN_KEYPOINT_SCORE = 0.3
MIN_POSE_SCORE = 0.2
MIN_DIAG_CELLS = 6
OUTPUT_STRIDE = 4  # input pixels per heatmap cell
MIN_CLOSEUPS = 3
CLOSEUP_FRACTION = 0.25
CLOSEUP_LIMIT = 0.03
SMALL_LIMIT = 0.10


def pose_report(variant: str, models: dict[str, Path], threads: int = 2) -> dict[str, Any]:
    """Deviation of each model in ``models`` (name -> .tflite path) vs the float graph."""
    size = VARIANTS[variant]
    ref = FloatReference(variant)
    backends = {n: MoveNetBackend.from_model(p, num_threads=threads, min_pose_score=0.0) for n, p in models.items()}
    images = []
    for name, bgr in evaluation_images():
        lb = Letterbox.fit(bgr.shape[:2], size)
        out = ref.keypoints(lb.apply(bgr))
        ref_xy, ref_s = lb.to_frame(out[:, :2]), out[:, 2]
        vis = ref_s >= MIN_KEYPOINT_SCORE
        entry: dict[str, Any] = {"image": name, "size": [bgr.shape[1], bgr.shape[0]],
                                 "reference_pose_score": round(float(ref_s.mean()), 4), "visible": int(vis.sum())}
        if ref_s.mean() < MIN_POSE_SCORE or vis.sum() < 2:
            entry.update(scored=False, reason=f"no person (reference pose score {ref_s.mean():.2f})")
            images.append(entry)
            continue
        diag = float(np.linalg.norm(ref_xy[vis].max(0) - ref_xy[vis].min(0)))
        cells = diag * lb.scale / OUTPUT_STRIDE
        if cells < MIN_DIAG_CELLS:
            entry.update(scored=False, bbox_diag_px=round(diag, 2),
                         reason=f"person spans {cells:.1f} heatmap cells < {MIN_DIAG_CELLS}: below model resolution")
            images.append(entry)
            continue
        entry.update(scored=True, bbox_diag_px=round(diag, 2),
                     closeup=bool(diag * lb.scale >= CLOSEUP_FRACTION * size), models={})
        for mname, backend in backends.items():
            pose = backend.estimate(bgr).poses[0]
            d = np.linalg.norm(pose.keypoints - ref_xy, axis=1)[vis]
            entry["models"][mname] = {
                "mean_px": round(float(d.mean()), 3), "max_px": round(float(d.max()), 3),
                "mean_frac": round(float(d.mean() / diag), 5), "max_frac": round(float(d.max() / diag), 5),
            }
        images.append(entry)
    summary = {}
    for mname in models:
        scored = [e for e in images if e.get("scored")]
        groups = {"closeup": [e for e in scored if e["closeup"]], "small": [e for e in scored if not e["closeup"]], "all": scored}
        for group, sel in groups.items():
            fr = [e["models"][mname]["mean_frac"] for e in sel]
            px = [e["models"][mname]["mean_px"] for e in sel]
            summary.setdefault(mname, {})[group] = {
                "images": len(sel),
                "mean_frac": round(float(np.mean(fr)), 5) if fr else None,
                "worst_image_mean_frac": round(float(np.max(fr)), 5) if fr else None,
                "mean_px": round(float(np.mean(px)), 3) if px else None,
            }
    for b in backends.values():
        b.close()
    return {"variant": variant, "input_size": size, "reference": "TF.js graph in TensorFlow float32",
            "min_keypoint_score": MIN_KEYPOINT_SCORE, "images": images, "summary": summary,
            "gate": {"closeup_limit": CLOSEUP_LIMIT, "small_limit": SMALL_LIMIT}}


def check_gate(report: dict[str, Any], model: str) -> list[str]:
    """Failures of ``model`` against the gate (empty list = pass)."""
    fails = []
    closeups = sum(1 for e in report["images"] if e.get("scored") and e["closeup"])
    if closeups < MIN_CLOSEUPS:
        fails.append(f"{model}: only {closeups} close-up images scored, the gate needs {MIN_CLOSEUPS}")
    for e in report["images"]:
        if not e.get("scored"):
            continue
        limit = CLOSEUP_LIMIT if e["closeup"] else SMALL_LIMIT
        frac = e["models"][model]["mean_frac"]
        if frac > limit:
            fails.append(f"{model} on {e['image']}: mean deviation {frac:.1%} of bbox diagonal > {limit:.0%}")
    return fails


def to_markdown(report: dict[str, Any]) -> str:
    models = list(report["summary"])
    lines = [
        f"# MoveNet {report['variant']} ({report['input_size']}px): keypoint deviation vs float",
        "",
        f"Reference: {report['reference']}. Deviation = distance to the reference keypoint / diagonal of the "
        f"person's bbox; keypoints with reference score >= {report['min_keypoint_score']}.",
        "",
        "| image | bbox diag px | close-up | " + " | ".join(f"{m} mean (max)" for m in models) + " |",
        "|---|---|---|" + "---|" * len(models),
    ]
    for e in report["images"]:
        if not e.get("scored"):
            diag = e.get("bbox_diag_px", "-")
            lines.append(f"| {e['image']} | {diag} | not scored: {e['reason']} |" + " - |" * len(models))
            continue
        res = [e["models"][m] for m in models]
        cells = [f"{r['mean_frac']:.2%} ({r['max_frac']:.2%}), {r['mean_px']:.1f} px" for r in res]
        closeup = "yes" if e["closeup"] else "no"
        lines.append(f"| {e['image']} | {e['bbox_diag_px']:.0f} | {closeup} | " + " | ".join(cells) + " |")
    lines += ["", "| model | close-up mean | small-people mean | all mean |", "|---|---|---|---|"]
    for m, groups in report["summary"].items():
        cells = ["-" if g["mean_frac"] is None else f"{g['mean_frac']:.2%} ({g['images']} img)"
                 for g in (groups["closeup"], groups["small"], groups["all"])]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    g = report["gate"]
    lines += ["", f"Gate: mean <= {g['closeup_limit']:.0%} on each close-up, "
              f"<= {g['small_limit']:.0%} on each small-person image."]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    j, m = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    j.write_text(json.dumps(report, indent=1) + "\n")
    m.write_text(to_markdown(report))
    return j, m


def report_and_gate(variant: str, models: dict[str, Path], out_dir: Path | None = None) -> int:
    """Write the report of ``models`` for ``variant``; return 1 if an int8 model fails the gate."""
    report = pose_report(variant, models)
    j, m = write_report(report, out_dir or shipped_dir() / "reports", f"movenet-{variant}-accuracy")
    print(m.read_text())
    return max((gate_status(check_gate(report, n)) for n in models if n.endswith("-int8")), default=0)


def gate_status(failures: list[str]) -> int:
    """Print each int8 gate failure to stderr; 1 if there was any, else 0."""
    for fail in failures:
        print(f"GATE FAILED: {fail}", file=sys.stderr)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="accuracy report of the manifest's MoveNet models vs float")
    ap.add_argument("--variants", nargs="+", default=[v for v in VARIANTS if v != "multipose"])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    status = 0
    for v in args.variants:
        models = {n: resolve_model(n).path for n in (f"movenet-{v}-fp16", f"movenet-{v}-int8")}
        status |= report_and_gate(v, models, args.out)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
