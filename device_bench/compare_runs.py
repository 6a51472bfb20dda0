"""Two runs of ``edge-sdk analyze`` compared event by event -> JSON: what a redesign kept and what it changed.

Poses (keypoints, scores, boxes, track IDs) and actions frame by frame; each event kind as a list (the
stamps ``wall``, ``camera``, ``run`` and the ``box`` / ``score`` that ``person_enter`` gained are left out).

    edge-sdk analyze vtest.avi --audio jfk.wav --action --no-video --out /tmp/new      # and /tmp/old from the old tree
    python -m device_bench.compare_runs /tmp/old /tmp/new --json device_bench/results/compare_runs.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

STAMPS = ("wall", "camera", "run")
KINDS = ("person_enter", "person_leave", "person_state", "action_start", "action_end", "transcript")


def _events(run: Path) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in (run / "timeline.jsonl").read_text().splitlines()]


def _norm(e: dict[str, Any]) -> dict[str, Any]:
    e = {k: v for k, v in e.items() if k not in STAMPS}
    if e["kind"] == "person_enter":
        e.pop("box", None)
        e.pop("score", None)
    return e


def compare(old: Path, new: Path) -> dict[str, Any]:
    a, b = _events(old), _events(new)
    fa, fb = [e for e in a if e["kind"] == "frame"], [e for e in b if e["kind"] == "frame"]
    def poses(e: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in p.items() if k != "motion"} for p in e["poses"]]
    out: dict[str, Any] = {
        "frames": [len(fa), len(fb)],
        "poses_and_ids_identical": len(fa) == len(fb) and all(poses(x) == poses(y) for x, y in zip(fa, fb)),
        "actions_identical": all(x.get("actions") == y.get("actions") for x, y in zip(fa, fb)),
        "motion_labels_differing": sum(pa.get("motion") != pb.get("motion")
                                       for x, y in zip(fa, fb) for pa, pb in zip(x["poses"], y["poses"])),
        "events": {}}
    for kind in KINDS:
        ka, kb = [_norm(e) for e in a if e["kind"] == kind], [_norm(e) for e in b if e["kind"] == kind]
        out["events"][kind] = {"old": len(ka), "new": len(kb), "identical": ka == kb}
    out["transcripts"] = {"old": [e["text"] for e in a if e["kind"] == "transcript"],
                          "new": [e["text"] for e in b if e["kind"] == "transcript"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    result = compare(args.old, args.new)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
