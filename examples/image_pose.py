"""Poses of everyone in one image, printed in pixels. Exits 1 if no person is found.

    python examples/image_pose.py basketball1.png [--model movenet-thunder-int8 for one person]
"""

import argparse
import sys

import cv2

from edge_sdk import AnalyzerConfig, EdgeAnalyzer, ModelAsset, PoseOptions


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--model", default="movenet-multipose-int8")
    args = ap.parse_args()
    frame = cv2.imread(args.image)
    if frame is None:
        print(f"cannot read {args.image}", file=sys.stderr)
        return 2
    config = AnalyzerConfig(pose=PoseOptions(asset=ModelAsset(args.model)), mode="image")
    with EdgeAnalyzer(config) as analyzer:
        result = analyzer.process_frame(frame)
    for pose in result.poses:
        print(f"person (score {pose.score:.2f}):")
        for name in ("nose", "left_shoulder", "right_shoulder", "left_wrist", "right_wrist"):
            k = pose.keypoint(name)
            print(f"  {name:15} x={k.x:7.1f} y={k.y:7.1f} score={k.score:.2f}")
    return 0 if result.poses else 1


if __name__ == "__main__":
    sys.exit(main())
