"""Stream action recognition on a video: print the top action whenever it changes.

    python examples/action_stream.py edge_sdk/samples/carving_ice.mp4 --expect "carving ice"
    python examples/action_stream.py clip.mp4 --actions "push up,squat,situp"

Exits 1 when ``--expect`` is given and the stream does not end on that action. The default model
is the Kinetics-600 MoViNet-A0 stream (600 everyday actions), fed 5 frames per second of video.
"""

from __future__ import annotations

import argparse

from edge_sdk import ActionOptions, AnalyzerConfig, EdgeAnalyzer, ModelAsset, VideoFileSource


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--model", default="movinet-a0-stream-k600-int8")
    ap.add_argument("--labels", default=None)
    ap.add_argument("--actions", default=None, help='report only these, e.g. "push up,squat"')
    ap.add_argument("--expect", default=None, help="the action the stream must end on")
    args = ap.parse_args()
    config = AnalyzerConfig(pose=None, action=ActionOptions(asset=ModelAsset(args.model, num_threads=1),
                                                            labels=args.labels, actions=args.actions))
    last = None
    with VideoFileSource(args.video) as src, EdgeAnalyzer(config) as analyzer:
        for _, t, frame in src:
            top = analyzer.process_frame(frame, t).actions[0]
            if top.label != last:
                print(f"{t:7.2f}s  {top.label:20s} {top.score:.2f}")
                last = top.label
        s = analyzer.stats()
    print(f"{s['frames']} frames, action stage {s['stages']['action']['fps']} fps")
    return 1 if args.expect is not None and last != args.expect else 0


if __name__ == "__main__":
    raise SystemExit(main())
