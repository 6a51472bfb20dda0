"""Live loop with each output on vs none: pipeline fps and capture-to-result latency -> JSON.

Rows (interleaved over ``--rounds``, so machine load hits every row alike): ``none``, ``mqtt`` (a
real mosquitto on 127.0.0.1, summary every second), ``metrics`` (scraped every second), ``web``
(a client pulling every frame it can), ``web_stalled`` (an MJPEG client that never reads), ``all``,
``integrator`` (a zone and a line that people cross on vtest.avi, snapshots on person_enter / zone_enter
written to a temporary folder, MQTT: the zone stage is counted in the pipeline, the snapshot hand-over in
the sinks' time, ``handover_ms_max`` its longest frame), ``clips`` (event clips on person_enter: every frame
encoded once into a ring of H.264 packets), ``clips_frames`` (the same with a ring of raw frames, encoded
only around events), ``clips_idle`` / ``clips_frames_idle`` (the two rings waiting for ``fall``, which vtest.avi
never has: what clips cost between events), ``integrator_clips`` (``integrator`` with clips on person_enter /
zone_enter, default options: the frames ring). ``clip_cpu_ms``: the clip sink's own thread, CPU time per frame.
Each row runs the cpu profile's live pipeline twice on vtest.avi: flat out (``block`` policy,
every frame as fast as the pipeline goes: frames / wall seconds of the run, sinks included) and
replayed at its native 10 fps (``latest`` policy: capture-to-result latency p50/p95). Both also give the
process's CPU time per frame (every thread: the pipeline's, the sinks' own; ``cpu_cost_pct`` against
``none``), which a busy machine disturbs less than fps.

    python -m device_bench.live_sinks --frames 120 --json device_bench/results/live_sinks_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

ROWS = ("none", "mqtt", "metrics", "web", "web_stalled", "all", "integrator", "clips", "clips_frames", "clips_idle",
        "clips_frames_idle", "integrator_clips")
ZONE = "road:470,250,690,205,768,250,768,470,600,420,470,330"  # device_bench/data/vtest_zone_labels.json's shapes
LINE = "door:300,140,300,350"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Broker:
    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        conf = workdir / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class _Timed:
    """A sink's calls on the pipeline thread, timed (seconds summed in ``spent``)."""

    def __init__(self, sink: Any, spent: list[float]) -> None:
        self.sink, self.spent, self.name = sink, spent, getattr(sink, "name", type(sink).__name__)

    def on_event(self, event: Any) -> None:
        t = time.perf_counter()
        self.sink.on_event(event)
        self.spent[0] += time.perf_counter() - t

    def on_frame(self, frame: Any, result: Any) -> None:
        t = time.perf_counter()
        self.sink.on_frame(frame, result)
        self.spent[0] += time.perf_counter() - t

    def close(self) -> None:
        self.sink.close()


def _client(stop: threading.Event, fn: Callable[[], None]) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                fn()
            except OSError:
                time.sleep(0.05)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


def _sinks(row: str, broker: _Broker | None, stop: threading.Event, tmp: Path) -> list[Any]:
    """The row's sinks, started, with their consumers (scraper, browser-like clients) running."""
    from edge_sdk.sinks.clips import ClipOptions, ClipSink
    from edge_sdk.sinks.metrics import MetricsSink
    from edge_sdk.sinks.mqtt import MqttOptions, MqttSink
    from edge_sdk.sinks.snapshots import SnapshotOptions, SnapshotSink
    from edge_sdk.sinks.web import LiveViewSink

    out: list[Any] = []
    if row.startswith(("integrator", "clips")):
        shutil.rmtree(tmp / "out", ignore_errors=True)
        (tmp / "out").mkdir()
    if row.startswith("integrator"):
        out.append(SnapshotSink(tmp / "out", SnapshotOptions(kinds=("person_enter", "zone_enter"))))
    if row.startswith("clips"):
        kinds = ("fall",) if row.endswith("_idle") else ("person_enter",)
        out.append(ClipSink(tmp / "out", ClipOptions(kinds=kinds, ring="frames" if "frames" in row else "packets"),
                            fps=10.0))
    if row == "integrator_clips":
        out.append(ClipSink(tmp / "out", ClipOptions(kinds=("person_enter", "zone_enter")), fps=10.0))
    if row in ("mqtt", "all") or row.startswith("integrator"):
        m = MqttSink(MqttOptions(f"mqtt://127.0.0.1:{broker.port}/bench"))
        m.wait_connected()
        out.append(m)
    if row in ("metrics", "all"):
        p = MetricsSink(port=0).start()
        out.append(p)
        _client(stop, lambda: (urllib.request.urlopen(p.url, timeout=5).read(), time.sleep(1.0)))
    if row in ("web", "web_stalled", "all"):
        w = LiveViewSink(port=0).start()
        out.append(w)
        seq = [0]

        def pull() -> None:
            with urllib.request.urlopen(f"http://127.0.0.1:{w.port}/frame.jpg?after={seq[0]}", timeout=10) as r:
                seq[0] = int(r.headers["X-Frame-Seq"])
                r.read()
        if row != "web_stalled":
            _client(stop, pull)
        if row in ("web_stalled", "all"):
            s = socket.create_connection(("127.0.0.1", w.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
            out.append(s)  # closed with the others; never read
    return out


def run_row(row: str, video: Path, frames: int, paced: bool, broker: _Broker | None, tmp: Path) -> dict[str, Any]:
    import dataclasses

    from edge_sdk import EdgeAnalyzer
    from edge_sdk.profiles import get_profile
    from edge_sdk.video.sources import CaptureSource
    from edge_sdk.zones import ZoneOptions

    stop = threading.Event()
    sinks = _sinks(row, broker, stop, tmp)
    outputs = [s for s in sinks if not isinstance(s, socket.socket)]
    spent = [0.0]
    try:
        config = get_profile("cpu").analyzer_config("live")
        if row.startswith("integrator"):
            config = dataclasses.replace(config, zones=ZoneOptions.from_specs([ZONE], [LINE]))
        with EdgeAnalyzer(config, sinks=[_Timed(s, spent) for s in outputs]) as a:
            for s in outputs:
                if hasattr(s, "attach"):
                    s.attach(a.sinks.emit)
            src = CaptureSource(video, policy="latest" if paced else "block", pace=paced, max_frames=frames,
                                clock=a.now if paced else None)
            t0, cpu0 = time.perf_counter(), time.process_time()
            st = a.run(src)
            wall = time.perf_counter() - t0
            sink_errors = dict(a.sink_errors)
        # counts once the analyzer has closed its sinks (a clip in progress is finished then); CPU seconds of
        # every thread of this process, the sinks' own and their closing included
        cpu = time.process_time() - cpu0
        extra = {type(s).__name__: s.stats() for s in outputs if hasattr(s, "stats")}
    finally:
        stop.set()
        for s in sinks:
            s.close()
    return {"row": row, "paced": paced, "fps": round(st["frames"] / wall, 2), "frames": st["frames"],
            "latency_ms": st.get("latency_ms"), "dropped": st.get("source", {}).get("dropped"),
            "sink_ms_per_frame": round(1e3 * spent[0] / max(st["frames"], 1), 4), "sink_errors": sink_errors,
            "cpu_ms_per_frame": round(1e3 * cpu / max(st["frames"], 1), 3),
            "sinks": extra}


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return round((xs[n // 2] + xs[(n - 1) // 2]) / 2, 3) if n else float("nan")


def main(argv: list[str] | None = None) -> int:
    from conversion.fetch import fetch_all_media

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=120, help="frames per flat-out run")
    ap.add_argument("--paced-frames", type=int, default=50, help="frames per 10 fps replay run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated subset of " + ",".join(ROWS))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows_run = [r for r in args.rows.split(",") if r]
    if "none" not in rows_run or any(r not in ROWS for r in rows_run):
        ap.error(f"--rows must include none and name rows of {ROWS}")
    video = fetch_all_media() / "vtest.avi"
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        broker = _Broker(Path(tmp))
        try:
            run_row("none", video, 20, False, broker, Path(tmp))  # warm-up: caches, arenas
            for r in range(args.rounds):
                for row in rows_run:
                    for paced in (False, True):
                        res = run_row(row, video, args.paced_frames if paced else args.frames, paced, broker, Path(tmp))
                        res["round"] = r
                        rows.append(res)
                        keys = ("row", "paced", "fps", "latency_ms", "dropped", "sink_ms_per_frame", "cpu_ms_per_frame")
                        print(json.dumps({k: res[k] for k in keys}), flush=True)
        finally:
            broker.close()
    summary = {}
    for row in rows_run:  # medians over the rounds: this machine's load varies from round to round
        flat = [x for x in rows if x["row"] == row and not x["paced"]]
        paced = [x for x in rows if x["row"] == row and x["paced"]]
        summary[row] = {"fps": _median([x["fps"] for x in flat]),
                        "sink_ms_per_frame": _median([x["sink_ms_per_frame"] for x in flat + paced]),
                        "paced_fps": _median([x["fps"] for x in paced]),
                        "latency_p50_ms": _median([x["latency_ms"]["p50"] for x in paced if x["latency_ms"]]),
                        "latency_p95_ms": _median([x["latency_ms"]["p95"] for x in paced if x["latency_ms"]]),
                        "cpu_ms_per_frame": _median([x["cpu_ms_per_frame"] for x in flat]),
                        "paced_cpu_ms_per_frame": _median([x["cpu_ms_per_frame"] for x in paced])}
        snaps = [x["sinks"]["SnapshotSink"] for x in flat + paced if "SnapshotSink" in x["sinks"]]
        if snaps:
            summary[row]["snapshots_written"] = sum(x["written"] for x in snaps)
            summary[row]["snapshots_dropped"] = sum(x["dropped"] for x in snaps)
            summary[row]["handover_ms_max"] = max(x["handover_ms_max"] for x in snaps)
        clips = [x["sinks"]["ClipSink"] for x in flat + paced if "ClipSink" in x["sinks"]]
        if clips:
            summary[row]["clips_written"] = sum(x["written"] for x in clips)
            summary[row]["clip_frames_dropped"] = sum(x["frames_dropped"] for x in clips)
            summary[row]["clip_encode_ms"] = _median([x["encode_ms"] for x in clips])
            summary[row]["clip_cpu_ms"] = _median([x["cpu_ms"] for x in clips])
            summary[row]["clip_frames_encoded_pct"] = round(100 * sum(x["frames_encoded"] for x in clips)
                                                            / max(1, sum(x["frames"] for x in flat + paced)), 1)
            summary[row]["clip_ring_kb_max"] = max(x["ring_kb_max"] for x in clips)
            summary[row]["clip_handover_ms_max"] = max(x["handover_ms_max"] for x in clips)
    base = summary["none"]["fps"]
    none = [x["fps"] for x in rows if x["row"] == "none" and not x["paced"]]
    summary["none"]["fps_range"] = [min(none), max(none)]  # the spread of one setting: the noise floor
    for row in rows_run:
        summary[row]["fps_cost_pct"] = round(100 * (1 - summary[row]["fps"] / base), 1) if base else None
        for k in ("cpu_ms_per_frame", "paced_cpu_ms_per_frame"):  # CPU time: steadier than fps on a busy machine
            summary[row][k.replace("ms_per_frame", "cost_pct")] = round(
                100 * (summary[row][k] / summary["none"][k] - 1), 1) if summary["none"][k] else None
        per_frame_ms = 1e3 / base if base else None  # the pipeline's own time per frame, no sink
        summary[row]["sink_share_pct"] = round(100 * summary[row]["sink_ms_per_frame"] / per_frame_ms, 2) \
            if per_frame_ms else None
    out = {"video": "vtest.avi", "profile": "cpu", "frames": args.frames, "paced_frames": args.paced_frames,
           "rounds": args.rounds, "summary": summary, "runs": rows}
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
