"""One speech path: a recording gives the same utterances and text through ``edge-sdk transcribe`` and
``edge-sdk analyze VIDEO --audio``, and a live stream (chunks on another clock) the same utterances as
``transcribe`` with the live options (texts may differ where live used an early decode). Real recordings:
jfk.wav and the 57 s narration of the real-speech corpus (conversion/speech_corpus.py).

Needs the [asr] extra and the models ``make test`` puts in the cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from test_cli import run_cli

from conversion.metrics import normalize, word_errors
from edge_sdk.audio.signal import read_wav, to_mono_16k
from edge_sdk.config import DEFAULT_ASR_MODEL, AsrOptions, ModelAsset, VadOptions

if not os.environ.get("EDGE_SDK_REQUIRE_ASR"):  # `make test` sets it: a missing extra fails there
    pytest.importorskip("ctranslate2", reason="needs the [asr] extra")


def _narration() -> Path:
    from conversion.speech_corpus import real_speech_corpus

    return next(w for w, _ in real_speech_corpus(include_noisy=False) if w.stem == "narration")


@pytest.mark.parametrize("clip", ["jfk", pytest.param("narration", marks=pytest.mark.slow)])
def test_transcribe_and_analyze_cut_and_say_the_same(media: Path, tmp_path: Path, clip):
    wav = media / "jfk.wav" if clip == "jfk" else _narration()
    said = json.loads(run_cli("transcribe", str(wav), "--json", "--threads", "1").stdout)["segments"]
    out = tmp_path / "run"
    run_cli("analyze", str(media / "vtest.avi"), "--audio", str(wav), "--out", str(out), "--max-frames", "5",
            "--no-video", "--threads", "1")  # the audio goes on after the last frame
    events = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]
    heard = [{k: e[k] for k in ("start", "end", "text")} for e in events if e["kind"] == "transcript"]
    assert heard == said and len(said) >= (1 if clip == "jfk" else 4)
    if clip == "jfk":
        assert "ask not what your country can do for you" in normalize(" ".join(s["text"] for s in said))


@pytest.mark.slow
def test_a_live_stream_is_cut_like_transcribe(media: Path):
    """Live options (early transcripts, no merging), 100 ms chunks stamped from t = 1000 s through the stage
    ``live`` runs, against ``transcribe`` of the whole recording with the same options."""
    from edge_sdk.audio.backends import open_recognizer
    from edge_sdk.stages.speech import SpeechStage

    x = np.concatenate([to_mono_16k(*read_wav(media / "jfk.wav")), to_mono_16k(*read_wav(_narration()))])
    opts = AsrOptions(asset=ModelAsset(DEFAULT_ASR_MODEL, num_threads=1), vad=VadOptions.for_live())
    with open_recognizer(opts) as asr:
        whole = asr.transcribe(x)
        stage = SpeechStage(opts, backend=asr)
        live = [s for i in range(0, x.size, 1600) for s in stage.process(x[i:i + 1600], 1000.0 + i / 16000).result]
        live += stage.flush().result
        assert stage.accounts()["early_used"] >= len(live) // 2  # the live path ran: early texts were used
    assert [(round(s.start_s - 1000.0, 6), round(s.end_s - 1000.0, 6)) for s in live] == \
        [(round(s.start_s, 6), round(s.end_s, 6)) for s in whole.segments]
    # the same utterances; a live text may be its early decode (the audio up to the pause, not the whole
    # post-roll), which here said "my fellow" where the full decode said "am i fellow"
    errors, words = word_errors(whole.text, " ".join(s.text for s in live))
    assert words > 150 and errors <= 3
