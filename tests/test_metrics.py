"""Prometheus sink scraped over HTTP during a paced replay of vtest.avi (real MoveNet + MoViNet)."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from services import feed_run

from edge_sdk import ActionOptions, AnalyzerConfig, EdgeAnalyzer, Event
from edge_sdk.sinks.metrics import MetricsSink
from edge_sdk.video.sources import ReplaySource


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.mark.slow
def test_metrics_scraped_during_a_replayed_run(media: Path, tmp_path: Path):
    sink = MetricsSink(port=0).start()
    sink.set_camera("hall")
    first = scrape(sink.url)  # before any frame: counters at 0, the people gauge at 0, no _created series
    assert first[("edge_sdk_frames_total", (("camera", "hall"),))] == 0
    assert first[("edge_sdk_errors_total", (("camera", "hall"), ("stage", "pose")))] == 0
    assert first[("edge_sdk_events_total", (("camera", "hall"), ("kind", "fall")))] == 0
    assert first[("edge_sdk_people", (("camera", "hall"),))] == 0
    assert not any(name.endswith("_created") for name, _ in first) and not any(name == "edge_sdk_fps" for name, _ in first)
    timeline = tmp_path / "timeline.jsonl"
    scrapes: list[dict] = []
    with EdgeAnalyzer(AnalyzerConfig(mode="live", action=ActionOptions()), timeline=timeline) as a, \
            ReplaySource(media / "vtest.avi", max_frames=40) as src:
        src.clock = a.now
        sink.set_models(a.describe())
        sink.watch_source(src)
        described = a.describe()
        stop = threading.Event()

        def scraper() -> None:
            while not stop.is_set():
                scrapes.append(scrape(sink.url))
                time.sleep(0.5)

        t = threading.Thread(target=scraper)
        t.start()
        lines = feed_run(a, timeline, [sink], src)
        sink.on_event(Event(a.now(), "error", {"stage": "sink", "sink": "web", "error": "OSError: gone"}))
        stop.set()
        t.join()
        final = scrape(sink.url)
        stats = a.stats()
    sink.close()
    assert len(scrapes) >= 4  # scraped while it ran (40 frames at 10 fps)
    cam = (("camera", "hall"),)
    frames = [s[("edge_sdk_frames_total", cam)] for s in scrapes]
    lines_frames = [x for x in lines if x["kind"] == "frame"]
    analysed = len(lines_frames)  # the replay drops frames the pipeline is too busy for
    assert frames == sorted(frames) and frames[0] < analysed and final[("edge_sdk_frames_total", cam)] == analysed
    for stage in ("pose", "action"):
        for phase in ("pre", "invoke", "post"):
            n = final[("edge_sdk_stage_seconds_count", cam + (("phase", phase), ("stage", stage)))]
            total = final[("edge_sdk_stage_seconds_sum", cam + (("phase", phase), ("stage", stage)))]
            assert n == stats["stages"][stage]["calls"]
            # every frame is posed; the action model sees 5 of the video's 10 frames a second (fewer if dropped)
            assert n == analysed if stage == "pose" else 0 < n <= (analysed + 1) // 2 + 1
            key = {"pre": "pre_ms", "invoke": "infer_ms", "post": "post_ms"}[phase]
            assert abs(total * 1e3 / n - stats["stages"][stage][key]) < 0.01 + 0.01 * stats["stages"][stage][key]
    assert final[("edge_sdk_people", cam)] == len(lines_frames[-1]["poses"])  # the latest frame's people
    kinds = {}
    for line in lines:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
    for kind, n in kinds.items():
        assert final[("edge_sdk_events_total", cam + (("kind", kind),))] == n
    assert final[("edge_sdk_errors_total", cam + (("stage", "sink"),))] == 1
    assert final[("edge_sdk_source_frames_read_total", cam)] == 40
    assert final[("edge_sdk_source_frames_delivered_total", cam)] == analysed
    assert final[("edge_sdk_source_frames_dropped_total", cam)] == 40 - analysed
    info = [k for k in final if k[0] == "edge_sdk_model_info"]
    pose = dict(next(k for k in info if ("stage", "pose") in k[1])[1])
    assert pose["name"] == described["pose"]["model"] and pose["sha256"] == described["pose"]["sha256"]
    assert len(pose["sha256"]) == 64
    assert pose["camera"] == "hall" and final[("process_resident_memory_bytes", ())] > 50e6


def test_own_registry_and_bad_options():
    import prometheus_client
    import pytest

    from edge_sdk import ConfigError

    s = MetricsSink(port=0)
    assert s.registry is not prometheus_client.REGISTRY
    assert "edge_sdk_frames_total" not in prometheus_client.generate_latest().decode()
    s.close()
    with pytest.raises(ConfigError, match="port"):
        MetricsSink(port=70000)
