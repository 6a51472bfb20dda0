"""What a finished ``analyze`` / ``live`` run found, in a few lines for the terminal, from its timeline.

    actions: carving ice 0.6-6.6 s (peak 0.98)
    person 3: arm wrestling 1.2-9.3 s (peak 0.95)
    speech: [0.1-10.8 s] And so my fellow Americans ask not what your country can do for you ...
    people: up to 6 at once, 41 tracked IDs

The timeline (``timeline.jsonl``) is the record; this only reads it. An action still open when the
timeline ends (no ``action_end``: the run was stopped hard) is shown as running to the last event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

__all__ = ["digest_lines"]

MAX_LINES = 8  # per kind; the rest is counted, not listed


def _events(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if '"kind":"frame"' in line:  # most of the file, and nothing a digest needs
                    continue
                try:
                    e = json.loads(line)
                except ValueError:  # a line cut short by a hard stop
                    continue
                if isinstance(e, dict):
                    yield e
    except OSError:
        return


def _action_lines(events: list[dict[str, Any]], last_t: float) -> list[str]:
    open_: dict[tuple[Any, str], dict[str, Any]] = {}
    spans: list[tuple[float, float, str, Any, float | None]] = []  # (start, end, label, track id, peak score)
    for e in events:
        key = (e.get("track_id"), str(e.get("label")))
        if e["kind"] == "action_start":
            open_[key] = e
        elif e["kind"] == "action_end" and key in open_:
            s = open_.pop(key)
            spans.append((s["t"], e["t"], key[1], key[0], e.get("peak_score", s.get("score"))))
    spans += [(s["t"], last_t, k[1], k[0], s.get("score")) for k, s in open_.items()]
    lines = []
    for start, end, label, track, peak in sorted(spans, key=lambda x: x[0]):
        who = "actions" if track is None else f"person {track}"
        score = f" (peak {peak:.2f})" if isinstance(peak, (int, float)) else ""
        lines.append(f"{who}: {label} {start:.1f}-{end:.1f} s{score}")
    return lines


def _capped(lines: list[str], what: str, where: Path) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return lines[:MAX_LINES] + [f"... {len(lines) - MAX_LINES} more {what} in {where}"]


def digest_lines(timeline: Path, summary: dict[str, Any] | None = None) -> list[str]:
    """Lines saying what the run found: actions (whole frame, then per person), speech, people.
    ``summary``: the run's summary.json (people counts); nothing is said of a stage that found nothing."""
    events = list(_events(timeline))
    last_t = max((float(e.get("t", 0.0)) for e in events), default=0.0)
    lines = _capped(_action_lines(events, last_t), "actions", timeline)
    if not any(e.get("kind") == "action_start" for e in events) and (summary or {}).get("effective", {}).get("action"):
        lines.append("actions: none above the start score (ActionOptions.start_score)")
    speech = [f"speech: [{e.get('start', 0.0):.1f}-{e.get('end', 0.0):.1f} s] {e.get('text', '')}"
              for e in events if e.get("kind") == "transcript" and e.get("text")]
    lines += _capped(speech, "transcripts", timeline)
    people = ((summary or {}).get("stats") or {}).get("people") or {}
    if people.get("max_people"):
        lines.append(f"people: up to {people['max_people']} at once, {people.get('track_ids', 0)} tracked IDs")
    return lines
