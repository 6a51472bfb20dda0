"""Everyone's pose over a video file with the file's own timestamps, person IDs kept across frames,
plus the stage's fps. Exits 1 unless a person is found in at least half of the frames.

    python examples/video_file.py vtest.avi --frames 50
"""

import argparse
import sys

from edge_sdk import EdgeAnalyzer, VideoFileSource


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("--frames", type=int, default=50)
    args = ap.parse_args()
    with VideoFileSource(args.video, max_frames=args.frames) as src, EdgeAnalyzer() as analyzer:
        found = 0
        for _, t, frame in src:
            result = analyzer.process_frame(frame, t)
            found += bool(result.poses)
            ids = sorted(p.track_id for p in result.poses if p.track_id is not None)
            print(f"t={t:5.2f}s  {len(result.poses)} people, IDs {ids}")
        stats = analyzer.stats()
    print(f"{stats['frames']} frames, person in {found}, {stats['people']['track_ids']} IDs; "
          f"pose stage {stats['stages']['pose']['fps']} fps")
    return 0 if found * 2 >= stats["frames"] else 1


if __name__ == "__main__":
    sys.exit(main())
