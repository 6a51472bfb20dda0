"""``edge-sdk live vtest.avi --replay --mqtt ... --metrics ... --serve ...``: all three outputs at once,
against a real mosquitto, scraped and viewed while the command runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT
from services import Mosquitto, free_port
from test_mqtt import VALIDATOR, Subscriber


@pytest.mark.service
def test_live_command_with_mqtt_metrics_and_the_view(media: Path, tmp_path: Path):
    with Mosquitto(tmp_path / "broker") as broker:
        sub = Subscriber(broker.port, "site/cam1")
        mport, wport = free_port(), free_port()
        out = tmp_path / "out"
        cmd = [sys.executable, "-m", "edge_sdk", "live", str(media / "vtest.avi"), "--replay", "--seconds", "6",
               "--out", str(out), "--mqtt", f"mqtt://127.0.0.1:{broker.port}/site/cam1", "--mqtt-summary", "0.5",
               "--metrics", f"127.0.0.1:{mport}", "--serve", f"127.0.0.1:{wport}"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        metrics, jpegs = "", []
        try:
            end = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < end and (not metrics or len(jpegs) < 3):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5) as r:
                        metrics = r.read().decode()
                    after = jpegs[-1][0] if jpegs else 0
                    with urllib.request.urlopen(f"http://127.0.0.1:{wport}/frame.jpg?after={after}", timeout=10) as r:
                        jpegs.append((int(r.headers["X-Frame-Seq"]), r.read()))
                except OSError:
                    time.sleep(0.3)  # still loading the models
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
        sub.wait_for(11)
        time.sleep(0.5)
        sub.close()
    assert proc.returncode == 0, stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["stats"]["frames"] >= 50
    assert "edge_sdk_frames_total" in metrics and 'stage="pose"' in metrics and "process_resident_memory_bytes" in metrics
    assert len(jpegs) >= 3 and all(j[:2] == b"\xff\xd8" for _, j in jpegs)
    summaries = [e for e in sub.events() if e["kind"] == "summary"]
    assert len(summaries) >= 10  # 6 s at one every 0.5 s
    for e in sub.events():
        VALIDATOR.validate(e)
    seqs = [e["seq"] for e in sub.events()]
    assert seqs == list(range(len(seqs)))
    assert [p for t, p in sub.messages if t == "site/cam1/status"][-1] == "offline"
    timeline = [json.loads(x) for x in (out / "timeline.jsonl").read_text().splitlines()]
    for line in timeline:
        VALIDATOR.validate(line)
    assert f"web: http://127.0.0.1:{wport}/" in stderr


def test_a_failing_sink_is_counted_and_written_and_the_run_goes_on(vtest_frames, tmp_path: Path):
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer

    class Broken:
        name = "broken"
        closed = False

        def on_event(self, event) -> None:
            raise OSError("disk full")

        def on_frame(self, frame, result) -> None:
            pass

        def close(self) -> None:
            self.closed = True

    timeline, sink = tmp_path / "t.jsonl", Broken()
    with EdgeAnalyzer(AnalyzerConfig(), timeline=timeline, sinks=[sink]) as a:
        results = [a.process_frame(f, i * 0.1) for i, f in enumerate(vtest_frames[:3])]
        failed = dict(a.sink_errors)
    lines = [json.loads(x) for x in timeline.read_text().splitlines()]
    assert len(results) == 3 and [x["kind"] for x in lines].count("frame") == 3
    errors = [x for x in lines if x["kind"] == "error"]
    assert failed == {"broken": len(lines) - len(errors)}  # every event it was handed (frames, people entering)
    assert len(errors) == len(lines) - len(errors)
    assert all(e["stage"] == "sink" and e["sink"] == "broken" and "disk full" in e["error"] for e in errors)
    assert sink.closed
