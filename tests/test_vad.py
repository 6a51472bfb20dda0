"""Silero VAD on real speech: probabilities against the official ONNX file, streaming, segmentation bounds,
no utterances on 60 s of non-speech, and typed errors (never a silent fallback) for a bad model file.

Real recordings: conversion/speech_corpus.py (asterisk prompts, alsa voice clips, jfk.wav, noisy variants).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import ModelNotFoundError
from edge_sdk.audio.vad import VadOptions, VoiceActivityDetector, find_utterances
from edge_sdk.errors import ModelIntegrityError

pytest.importorskip("onnxruntime", reason="needs the [asr] extra")

from edge_sdk.audio.silero import CONTEXT, FRAME, SileroModel, speech_probabilities  # noqa: E402


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[np.ndarray, str]]:
    from conversion.speech_corpus import _read16k, real_speech_corpus

    return {w.stem: (_read16k(w), text) for w, text in real_speech_corpus()}


@pytest.fixture(scope="module")
def official(tmp_path_factory) -> Path:
    """silero_vad.onnx of the same wheel: the upstream streaming model (state + sample-rate inputs)."""
    from conversion.silero_vad import REFERENCE, extract

    return extract(REFERENCE, tmp_path_factory.mktemp("silero") / "silero_vad.onnx")


def _official_probs(path: Path, x: np.ndarray) -> np.ndarray:
    """Upstream's OnnxWrapper loop: 512-sample frames, 64 context samples, state (2, 1, 128), sr."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    state, ctx, sr = np.zeros((2, 1, 128), np.float32), np.zeros((1, CONTEXT), np.float32), np.array(16000, np.int64)
    x = np.pad(x, (0, -x.size % FRAME))
    out = []
    for i in range(0, x.size, FRAME):
        inp = np.concatenate([ctx, x[None, i:i + FRAME]], axis=1)
        p, state = sess.run(None, {"input": inp, "state": state, "sr": sr})
        out.append(float(p[0, 0]))
        ctx = inp[:, -CONTEXT:]
    return np.asarray(out, np.float32)


@pytest.mark.parametrize("clip", ["jfk", "asterisk_demo-echotest", "alsa_Front_Center", "narration_snr5"])
def test_probabilities_match_the_official_model(corpus, official, clip):
    x = corpus[clip][0]
    ref = _official_probs(official, x)
    ours = speech_probabilities(x)
    assert ours.shape == ref.shape and np.abs(ours - ref).max() < 1e-3
    assert ref.max() > 0.9 and ref.min() < 0.1  # real speech and real pauses in every clip
    # streamed in microphone-sized chunks that are not multiples of 512: same probabilities
    m, got, rest = SileroModel(), [], np.zeros(0, np.float32)
    for i in range(0, x.size, 1470):
        rest = np.concatenate([rest, x[i:i + 1470]])
        n = rest.size // FRAME
        got.append(m(rest[: n * FRAME].reshape(-1, FRAME)))
        rest = rest[n * FRAME:]
    got = np.concatenate(got)
    assert np.abs(got - ref[: got.size]).max() < 1e-3


def test_streaming_equals_batch_and_keeps_stream_time(corpus):
    x = corpus["narration_snr10"][0]
    batch = find_utterances(x, t0_s=50.0)
    for block in (480, 1600, 4410):  # 30 ms, 100 ms, an odd 44.1 kHz-derived block
        vad = VoiceActivityDetector(t0_s=50.0)
        stream = [u for i in range(0, x.size, block) for u in vad.push(x[i:i + block])] + vad.flush()
        assert [(u.start_s, u.end_s) for u in stream] == [(u.start_s, u.end_s) for u in batch]
    assert len(batch) >= 3 and 50.0 <= batch[0].start_s < 50.5


def test_utterances_cover_the_speech_and_stay_short(corpus):
    from edge_sdk.audio.silero import speech_probabilities

    for name in ("narration", "asterisk_demo-congrats", "jfk", "basic-pbx-ivr-main_snr5"):
        x = corpus[name][0]
        utts = find_utterances(x)
        assert utts and all(u.end_s - u.start_s <= 20.0 + 1e-6 for u in utts), name
        assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(utts, utts[1:])), name
        # every frame of a >= 0.25 s run the model is sure is speech lies inside an utterance
        # (shorter blips, e.g. the click at the end of jfk.wav, are dropped by min_speech_s)
        sure = speech_probabilities(x) > 0.5
        runs = np.convolve(sure, np.ones(8), mode="full")  # 8 frames = 0.256 s
        in_run = np.zeros_like(sure)
        for end in np.flatnonzero(runs >= 8):
            in_run[max(0, end - 7): end + 1] = True
        inside = np.zeros_like(sure)
        for u in utts:
            inside[int(u.start_s * 16000 // FRAME): int(np.ceil(u.end_s * 16000 / FRAME))] = True
        assert in_run.any() and inside[in_run[: inside.size]].all(), name


def test_long_speech_is_split_at_a_pause(corpus):
    x = corpus["asterisk_demo-congrats"][0]  # 30.3 s read without a long pause
    p = speech_probabilities(x)
    utts = find_utterances(x, VadOptions(max_utterance_s=8.0))
    assert len(utts) >= 4 and all(u.end_s - u.start_s <= 8.0 + 1e-6 for u in utts)
    for u in utts[:-1]:  # cut where the model hears least speech, not mid-word
        f = int(round(u.end_s * 16000 / FRAME))
        assert p[max(0, f - 2): f + 1].min() < 0.5


def test_sixty_seconds_of_non_speech_give_no_utterance():
    from conversion.speech_corpus import _read16k, non_speech_clips

    for wav in non_speech_clips():
        assert find_utterances(_read16k(wav)) == [], wav.name


def test_bad_model_files_raise_typed_errors(tmp_path: Path, official: Path):
    from edge_sdk.models import resolve_model

    shipped = resolve_model("silero-vad-v6.2").path
    with pytest.raises(ModelNotFoundError):
        find_utterances(np.zeros(16000, np.float32), VadOptions(model=str(tmp_path / "missing.onnx")))
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(shipped.read_bytes()[:50000])
    with pytest.raises(ModelIntegrityError, match="not a loadable ONNX model"):
        VoiceActivityDetector(VadOptions(model=str(cut)))
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        VoiceActivityDetector(VadOptions(model=str(shutil.copy(shipped, tmp_path / "v.onnx")), model_sha256="0" * 64))
    with pytest.raises(ModelIntegrityError, match="expected a Silero sequence model"):
        VoiceActivityDetector(VadOptions(model=str(official)))  # a real ONNX file, another interface
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00" * 4096)
    with pytest.raises(ModelIntegrityError):
        VoiceActivityDetector(VadOptions(model=str(junk)))


def test_energy_method_is_explicit(corpus):
    x = corpus["jfk"][0]
    assert isinstance(VoiceActivityDetector().scorer, SileroModel)
    energy = find_utterances(x, VadOptions(method="energy"))
    assert energy and energy != find_utterances(x)
    with pytest.raises(ValueError):
        VadOptions(method="webrtc")


def test_early_utterances_are_the_ones_their_pauses_close(corpus):
    """Live streams (``early_s``): every utterance a pause closes was handed out early with the same start and
    speech end, its audio a prefix of the final one; the utterances are the same as without ``early_s``."""
    rng = np.random.default_rng(1)
    noise = lambda n: (3e-4 * rng.standard_normal(n)).astype(np.float32)  # noqa: E731
    x = np.concatenate([corpus["jfk"][0], noise(16000), corpus["asterisk_vm-newuser"][0], noise(16000)])
    vad = VoiceActivityDetector(VadOptions.for_live())
    finals, early = [], []
    for i in range(0, x.size, 1600):
        finals += vad.push(x[i:i + 1600])
        t = vad.take_tentative()
        if t is not None:
            early.append(t)
    finals += vad.flush()
    unmerged = find_utterances(x, VadOptions(merge_gap_s=0))
    assert [(u.start_s, u.end_s) for u in finals] == [(u.start_s, u.end_s) for u in unmerged]
    assert len(finals) >= 3 and len(early) >= len(finals)
    by_key = {(t.start_s, t.speech_end_s): t for t in early}
    for u in finals:
        t = by_key[(u.start_s, u.speech_end_s)]
        assert t.audio.size < u.audio.size and np.array_equal(u.audio[: t.audio.size], t.audio)
    assert VoiceActivityDetector(VadOptions()).take_tentative() is None  # off unless asked for


def test_early_s_must_come_before_the_hangover():
    from edge_sdk import ConfigError

    with pytest.raises(ConfigError, match="early_s"):
        VadOptions(early_s=0.3, hangover_s=0.3)


def test_options_split_per_scorer_keep_the_old_keywords():
    from edge_sdk import ConfigError
    from edge_sdk.config import AsrOptions, EnergyVadOptions, SileroOptions

    o = VadOptions(model="my.onnx", model_sha256="a" * 64, margin_db=6.0, hangover_s=0.5)
    assert o.silero == SileroOptions("my.onnx", "a" * 64) and o.energy == EnergyVadOptions(margin_db=6.0)
    assert o.hangover_s == 0.5 and VadOptions().silero.model == "silero-vad-v6.2"
    assert AsrOptions(merge_gap_s=0.5).vad.merge_gap_s == 0.5 and VadOptions.for_live().merge_gap_s == 0
    for bad in (dict(energy=SileroOptions()), dict(margin_db=-1.0), dict(max_flatness=0.0), dict(merge_gap_s=-1.0),
                dict(model=""), dict(early_s=0.1),  # early transcripts need merge_gap_s 0
                dict(threshold=0.2, neg_threshold=0.3)):
        with pytest.raises(ConfigError):
            VadOptions(**bad)


def test_one_segmenter_over_both_scorers(corpus):
    """Silero and energy differ only in their frame probabilities: fed the same probabilities, the segmenter
    cuts the same, and energy's 0/1 scores of jfk give utterances that hold its speech."""
    from edge_sdk.audio.energy_vad import EnergyScorer
    from edge_sdk.audio.segmenter import UtteranceSegmenter

    class Replay:  # Silero's probabilities of the clip, handed back frame by frame
        frame = FRAME

        def __init__(self, p: np.ndarray) -> None:
            self.p, self.i = p, 0

        def reset(self) -> None:
            self.i = 0

        def __call__(self, frames: np.ndarray) -> np.ndarray:
            self.i += len(frames)
            return self.p[self.i - len(frames): self.i]

    x = corpus["narration_snr10"][0]
    replay = UtteranceSegmenter(Replay(speech_probabilities(x)), VadOptions())
    assert [(u.start_s, u.end_s) for u in replay.push(x) + replay.flush()] == \
        [(u.start_s, u.end_s) for u in find_utterances(x)]
    jfk = corpus["jfk"][0]
    energy = find_utterances(jfk, VadOptions(method="energy"))
    assert isinstance(VoiceActivityDetector(VadOptions(method="energy")).scorer, EnergyScorer)
    assert energy and energy[0].start_s < 0.5 and energy[-1].end_s > 10.0
