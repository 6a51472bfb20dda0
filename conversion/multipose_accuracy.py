"""MultiPose int8 vs the float TF.js graph on real multi-person images: keypoints, person count, boxes.

Each converted model runs through the SDK's backend (letterbox, invoke, mapping to frame pixels);
the reference is the TF.js graph in TensorFlow float32 on the same letterboxed input. People are
those scoring >= 0.2 (the backend's default ``min_pose_score``). Each reference person is paired
with the model's person nearest in keypoints (greedy, closest pair first). Deviation of a person =
mean keypoint distance / the reference person's bbox diagonal (reference keypoints >= 0.3), as in
:mod:`conversion.accuracy`. Close-up = bbox diagonal >= 25% of the input's long side.

Gate (``check_gate``): on every image with a close-up person, the same person count as float and
every close-up person within 3% of its bbox diagonal. Small people (whole 768x576 street frames
at 256: 30-60 px tall) are reported, not gated: one 1/64-of-input heatmap cell is already 5-15%
of their diagonal, and int8 loses or moves some of them (see the report).

    python -m conversion.multipose_accuracy movenet-multipose-int8 movenet-multipose-fp16
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from conversion.accuracy import CLOSEUP_FRACTION, CLOSEUP_LIMIT, MIN_KEYPOINT_SCORE, MIN_POSE_SCORE, gate_status
from conversion.metrics import keypoint_deviation
from conversion.movenet_tfjs import FloatReference, _quarter, _vtest_frames, shape_suffix
from edge_sdk.models import resolve_model, sha256_file, shipped_dir
from edge_sdk.pose.movenet import MIN_PERSON_SCORE, MoveNetBackend
from edge_sdk.pose.tracking import box_iou
from edge_sdk.video.letterbox import Letterbox

MIN_CLOSEUPS = 3


def evaluation_images() -> list[tuple[str, np.ndarray]]:
    """Real multi-person images, none used for calibration: messi5, basketball1, astronaut and
    whole vtest.avi frames 560-770 (street, 3-8 people) plus one quarter of each (people 2x larger)."""
    import cv2

    from conversion.fetch import fetch_all_media

    media = fetch_all_media()
    out = [(n, cv2.imread(str(media / n))) for n in ("messi5.jpg", "basketball1.png", "astronaut.png")]
    for idx, frame in _vtest_frames(781, lambda i: i >= 560 and i % 70 == 0):
        ty, tx = divmod(idx // 70 % 4, 2)
        out += [(f"vtest#{idx}", frame), (f"vtest#{idx}/tile{ty}{tx}", _quarter(frame, ty, tx))]
    return out


def _people(rows: np.ndarray, lb: Letterbox) -> list[dict[str, np.ndarray]]:
    out = []
    for row in rows:
        kp = row[:51].reshape(17, 3)
        if row[55] >= MIN_PERSON_SCORE and kp[:, 2].clip(0, 1).mean() >= MIN_POSE_SCORE:  # as the backend filters
            (x0, y0), (x1, y1) = lb.to_frame(row[51:55].reshape(2, 2))
            out.append({"xy": lb.to_frame(kp[:, :2]), "scores": kp[:, 2], "box": (x0, y0, x1, y1),
                        "score": float(kp[:, 2].clip(0, 1).mean())})
    return out


def _pair(ref: list[dict], got: list) -> list[tuple[int, int, float]]:
    """(ref index, model index, mean px distance) of greedy nearest pairs."""
    cand = []
    for i, r in enumerate(ref):
        vis = r["scores"] >= MIN_KEYPOINT_SCORE
        for j, p in enumerate(got):
            cand.append((float(np.linalg.norm(p.keypoints[vis] - r["xy"][vis], axis=1).mean()) if vis.any() else 1e9, i, j))
    used_i, used_j, pairs = set(), set(), []
    for d, i, j in sorted(cand):
        if i not in used_i and j not in used_j:
            used_i.add(i), used_j.add(j), pairs.append((i, j, d))
    return pairs


def _agg(fn, matched: list[dict[str, Any]]) -> float | None:
    return round(float(fn([m["mean_frac"] for m in matched])), 5) if matched else None


def multipose_report(models: dict[str, Path], size: int | tuple[int, int], threads: int = 2) -> dict[str, Any]:
    """Report for ``models`` that share the input ``size`` (a side, or (W, H)); the float graph runs at that shape."""
    size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    ref = FloatReference("multipose", size)
    backends = {n: MoveNetBackend.from_model(p, num_threads=threads, expected_sha256=sha256_file(p)) for n, p in models.items()}
    images = []
    for name, bgr in evaluation_images():
        lb = Letterbox.fit(bgr.shape[:2], size)
        people = _people(ref.output(lb.apply(bgr)), lb)
        entry: dict[str, Any] = {"image": name, "size": [bgr.shape[1], bgr.shape[0]], "reference_people": len(people),
                                 "people": [], "models": {}}
        for r in people:
            vis = r["scores"] >= MIN_KEYPOINT_SCORE
            diag = float(np.linalg.norm(r["xy"][vis].max(0) - r["xy"][vis].min(0))) if vis.sum() >= 2 else 0.0
            entry["people"].append({"bbox_diag_px": round(diag, 1),
                                    "closeup": bool(diag * lb.scale >= CLOSEUP_FRACTION * max(size))})
        for mname, backend in backends.items():
            got = backend.estimate(bgr).poses
            res: dict[str, Any] = {"people": len(got), "matched": []}
            for i, j, _ in _pair(people, got):
                mean, worst = keypoint_deviation(got[j].keypoints, people[i]["xy"], people[i]["scores"])
                if not np.isfinite(mean):
                    continue
                res["matched"].append({"ref": i, "mean_frac": round(mean, 5), "max_frac": round(worst, 5),
                                       "box_iou": round(float(box_iou(got[j].box, people[i]["box"])), 4),
                                       "score_diff": round(float(got[j].score - people[i]["score"]), 4)})
            entry["models"][mname] = res
        images.append(entry)
    for b in backends.values():
        b.close()
    summary = {}
    for mname in models:
        rows = [(e["people"][m["ref"]]["closeup"], m) for e in images for m in e["models"][mname]["matched"]]
        groups = {"closeup": [m for c, m in rows if c], "small": [m for c, m in rows if not c]}
        summary[mname] = {
            "images_same_count": sum(e["models"][mname]["people"] == e["reference_people"] for e in images),
            "images": len(images),
            "reference_people": sum(e["reference_people"] for e in images),
            "matched_people": len(rows),
            **{f"{g}_people": len(sel) for g, sel in groups.items()},
            **{f"{g}_mean_frac": _agg(np.mean, sel) for g, sel in groups.items()},
            **{f"{g}_worst_frac": _agg(np.max, sel) for g, sel in groups.items()},
            "mean_box_iou": round(float(np.mean([m["box_iou"] for _, m in rows])), 4) if rows else None,
        }
    return {"variant": "multipose", "input_size": size[0] if size[0] == size[1] else shape_suffix(size),
            "reference": "TF.js graph in TensorFlow float32", "min_pose_score": MIN_POSE_SCORE,
            "min_keypoint_score": MIN_KEYPOINT_SCORE, "images": images,
            "summary": summary, "gate": {"closeup_limit": CLOSEUP_LIMIT, "same_count_on_closeup_images": True}}


def check_gate(report: dict[str, Any], model: str) -> list[str]:
    fails = []
    closeups = sum(p["closeup"] for e in report["images"] for p in e["people"])
    if closeups < MIN_CLOSEUPS:
        fails.append(f"{model}: only {closeups} close-up people, the gate needs {MIN_CLOSEUPS}")
    for e in report["images"]:
        if not any(p["closeup"] for p in e["people"]):
            continue
        res = e["models"][model]
        if res["people"] != e["reference_people"] or len(res["matched"]) < e["reference_people"]:
            fails.append(f"{model} on {e['image']}: {res['people']} people ({len(res['matched'])} paired), "
                         f"float finds {e['reference_people']}")
        for m in res["matched"]:
            if e["people"][m["ref"]]["closeup"] and m["mean_frac"] > CLOSEUP_LIMIT:
                fails.append(f"{model} on {e['image']} person {m['ref']}: {m['mean_frac']:.1%} of bbox diagonal "
                             f"> {CLOSEUP_LIMIT:.0%}")
    return fails


def to_markdown(report: dict[str, Any]) -> str:
    models = list(report["summary"])
    lines = [f"# MoveNet MultiPose ({report['input_size']}px): people, keypoints and boxes vs float", "",
             f"Reference: {report['reference']}; people scoring >= {report['min_pose_score']}. Deviation = mean keypoint "
             "distance to the paired float person / that person's bbox diagonal (keypoints scoring >= "
             f"{report['min_keypoint_score']} in float).", "",
             "| image | float people (close-up) | "
             + " | ".join(f"{m}: people, mean dev per person, box IoU" for m in models) + " |",
             "|---|---|" + "---|" * len(models)]
    for e in report["images"]:
        cells = []
        for m in models:
            r = e["models"][m]
            devs = ", ".join(f"{x['mean_frac']:.1%}" for x in r["matched"]) or "-"
            ious = ", ".join(f"{x['box_iou']:.2f}" for x in r["matched"]) or "-"
            cells.append(f"{r['people']}; {devs}; {ious}")
        n_close = sum(p["closeup"] for p in e["people"])
        lines.append(f"| {e['image']} | {e['reference_people']} ({n_close}) | " + " | ".join(cells) + " |")
    lines += ["", "| model | images with float's person count | close-up people: mean (worst) | small people: mean (worst) "
              "| mean box IoU |", "|---|---|---|---|---|"]
    for m, s in report["summary"].items():
        cells = ["-" if s[f"{g}_mean_frac"] is None else
                 f"{s[f'{g}_mean_frac']:.2%} ({s[f'{g}_worst_frac']:.2%}), {s[f'{g}_people']} people"
                 for g in ("closeup", "small")]
        lines.append(f"| {m} | {s['images_same_count']}/{s['images']} | {cells[0]} | {cells[1]} | {s['mean_box_iou']} |")
    g = report["gate"]
    lines += ["", f"Gate: on images with a close-up person, float's person count and mean deviation <= "
              f"{g['closeup_limit']:.0%} for each close-up person. Small people are reported, not gated."]
    return "\n".join(lines) + "\n"


def report_and_gate(models: dict[str, Path], out_dir: Path | None = None) -> int:
    """Write one report per input size of ``models``; 1 if an int8 model fails the gate."""
    status = 0
    by_size: dict[tuple[int, int], dict[str, Path]] = {}
    for n, p in models.items():
        with MoveNetBackend.from_model(p, expected_sha256=sha256_file(p)) as b:
            by_size.setdefault(b.input_hw[::-1], {})[n] = p
    for size, group in sorted(by_size.items()):
        report = multipose_report(group, size)
        out = out_dir or shipped_dir() / "reports"
        out.mkdir(parents=True, exist_ok=True)
        stem = f"movenet-multipose-{shape_suffix(size)}-accuracy"
        (out / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
        (out / f"{stem}.md").write_text(to_markdown(report))
        print(to_markdown(report))
        for n in group:
            if "-int8" in n:
                status |= gate_status(check_gate(report, n))
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="MultiPose accuracy report vs float")
    ap.add_argument("names", nargs="+", help="manifest names or name=path")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    models = {}
    for n in args.names:
        name, _, path = n.partition("=")
        models[name] = Path(path) if path else resolve_model(name).path
    return report_and_gate(models, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
