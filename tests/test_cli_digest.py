"""The terminal digest of a run: what its timeline says, in a few lines."""

from __future__ import annotations

import json
from pathlib import Path

from edge_sdk.cli_digest import MAX_LINES, digest_lines


def _timeline(path: Path, events: list[dict], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events) + tail, encoding="utf-8")
    return path


def test_actions_speech_and_people(tmp_path: Path):
    t = _timeline(tmp_path / "t.jsonl", [
        {"t": 0.0, "kind": "frame", "poses": []},
        {"t": 0.6, "kind": "action_start", "label": "carving ice", "score": 0.74},
        {"t": 1.0, "kind": "action_start", "label": "waving hand", "score": 0.6, "track_id": 3},
        {"t": 2.0, "kind": "transcript", "start": 0.1, "end": 1.9, "text": "hello there"},
        {"t": 4.0, "kind": "action_end", "label": "waving hand", "track_id": 3, "peak_score": 0.81},
        {"t": 6.6, "kind": "action_end", "label": "carving ice", "peak_score": 0.98},
    ])
    summary = {"stats": {"people": {"max_people": 2, "track_ids": 3}}, "effective": {"action": {"model": "x"}}}
    assert digest_lines(t, summary) == [
        "actions: carving ice 0.6-6.6 s (peak 0.98)",
        "person 3: waving hand 1.0-4.0 s (peak 0.81)",
        "speech: [0.1-1.9 s] hello there",
        "people: up to 2 at once, 3 tracked IDs",
    ]


def test_a_hard_stop_leaves_actions_open_and_a_line_cut_short(tmp_path: Path):
    t = _timeline(tmp_path / "t.jsonl", [
        {"t": 1.0, "kind": "action_start", "label": "squat", "score": 0.7},
        {"t": 3.5, "kind": "person_leave", "track_id": 1},
    ], tail='{"t":3.6,"kind":"action_e')
    assert digest_lines(t) == ["actions: squat 1.0-3.5 s (peak 0.70)"]


def test_nothing_found_and_long_lists(tmp_path: Path):
    t = _timeline(tmp_path / "t.jsonl", [{"t": 0.0, "kind": "frame"}])
    assert digest_lines(t, {"effective": {"action": {"model": "x"}}}) == [
        "actions: none above the start score (ActionOptions.start_score)"]
    assert digest_lines(t, {"effective": {"action": None}}) == []
    assert digest_lines(tmp_path / "missing.jsonl") == []
    many = _timeline(tmp_path / "m.jsonl", [{"t": float(i), "kind": "transcript", "start": i, "end": i + 0.5, "text": f"w{i}"}
                                           for i in range(MAX_LINES + 3)])
    lines = digest_lines(many)
    assert len(lines) == MAX_LINES + 1 and lines[-1] == f"... 3 more transcripts in {many}"
