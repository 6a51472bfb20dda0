"""Two (or N) transcriptions side by side at each thread count: does the default oversubscribe?

    python -m device_bench.concurrent_asr [--wav jfk.wav] [--threads 2 1] [--rounds 2] [--json out.json]

Each row is a fresh ``edge-sdk transcribe`` process; rows are interleaved (alone, then side by side,
for each thread count, per round) so the machine's other load hits every row alike. Prints and
writes each process's transcription wall time (``wall_s`` of its JSON output).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path


def _start(wav: Path, threads: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "edge_sdk.cli", "transcribe", str(wav), "--threads", str(threads),
                             "--json"], stdout=subprocess.PIPE, text=True)


def _walls(procs: list[subprocess.Popen]) -> list[float]:
    return [round(json.loads(p.communicate()[0])["wall_s"], 2) for p in procs]


def main(argv: list[str] | None = None) -> int:
    from edge_sdk.models import cache_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wav", type=Path, default=cache_dir() / "media" / "jfk.wav")
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--side-by-side", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    for r in range(args.rounds):
        for t in args.threads:
            alone = _walls([_start(args.wav, t)])
            together = _walls([_start(args.wav, t) for _ in range(args.side_by_side)])
            rows.append({"round": r, "threads": t, "alone_s": alone[0], "side_by_side_s": together})
            print(f"round {r} threads {t}: alone {alone[0]} s, {args.side_by_side} side by side {together} s", flush=True)
    report = {"benchmark": "concurrent_asr", "wav": args.wav.name, "cpus": len(os.sched_getaffinity(0)), "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
