"""The default recogniser (CTranslate2 int8, fitted window): its log-mel against faster-whisper's, its
transcripts of real recordings against their known words and against whisper.cpp on the same clips,
reproducible decodes, no text from noise, and typed errors for bad model directories.

Needs the [asr] extra and the models ``make test`` puts in the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conversion.metrics import normalize, wer
from edge_sdk import EdgeSdkError, ModelNotFoundError
from edge_sdk.audio.signal import read_wav, to_mono_16k
from edge_sdk.config import DEFAULT_ASR_MODEL, AsrOptions, ModelAsset
from edge_sdk.errors import ModelIntegrityError

if not os.environ.get("EDGE_SDK_REQUIRE_ASR"):  # `make test` sets it: a missing extra fails there
    pytest.importorskip("ctranslate2", reason="needs the [asr] extra")

CT2 = "whisper-tiny.en-ct2"
Q8 = "whisper-tiny.en-q8_0"
# Clean and noisy real clips (not the held-out set): short prompts, a long reading, 5-20 dB SNR.
CLIPS = ("jfk", "asterisk_demo-echotest", "asterisk_vm-newuser", "alsa_Front_Left", "narration", "jfk_snr5",
         "demo-congrats_snr10", "basic-pbx-ivr-main_snr20")


@pytest.fixture(scope="module")
def ct2():
    from edge_sdk.audio.ct2_whisper import Ct2WhisperBackend

    with Ct2WhisperBackend(AsrOptions(asset=ModelAsset(CT2, num_threads=2))) as b:
        yield b


@pytest.fixture(scope="module")
def jfk16k(media: Path) -> np.ndarray:
    return to_mono_16k(*read_wav(media / "jfk.wav"))


@pytest.fixture(scope="module")
def clips() -> list[tuple[str, np.ndarray, str]]:
    from conversion.speech_corpus import _read16k, real_speech_corpus

    got = {w.stem: (w.stem, _read16k(w), t) for w, t in real_speech_corpus(include_noisy=True)}
    return [got[c] for c in CLIPS]


def test_the_default_model_runs_on_ctranslate2():
    from edge_sdk.audio.backends import backend_for, open_recognizer
    from edge_sdk.models import resolve_model

    assert AsrOptions().asset.model == DEFAULT_ASR_MODEL == CT2
    assert backend_for(CT2) == "ctranslate2" and backend_for(Q8) == "whisper.cpp"
    ct2_dir = resolve_model(CT2).path.parent
    assert backend_for(str(ct2_dir)) == "ctranslate2" and backend_for(str(resolve_model(Q8).path)) == "whisper.cpp"
    with open_recognizer() as r:
        d = r.describe()
    assert d["backend"] == "ctranslate2" and d["model"] == CT2 and d["compute_type"] == "int8"


def test_log_mel_equals_faster_whispers_features(jfk16k):
    """The reference: faster-whisper's own feature extractor (what its CTranslate2 decoder was fed), on real
    speech, for windows shorter and longer than the recording."""
    from faster_whisper import feature_extractor as fe  # in the [dev] extra

    from edge_sdk.audio.mel import log_mel

    ref = fe.FeatureExtractor(feature_size=80)(jfk16k, padding=160 * 3000)
    for frames in (1024, 1536, 3000):
        ours = log_mel(jfk16k, frames)
        assert ours.shape == (80, frames) and ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref[:, :frames], atol=1e-5)


def test_transcribes_jfk_exactly(ct2, jfk16k):
    from edge_sdk.pull.samples import JFK_TEXT

    t = ct2.transcribe(jfk16k)
    assert normalize(t.text) == normalize(JFK_TEXT)
    assert len(t.segments) == 1 and 10.5 < t.segments[0].end_s <= 11.01


@pytest.mark.slow
def test_real_speech_wer_matches_whisper_cpp(ct2, clips):
    """Same weights, same VAD and window policy: CTranslate2 int8 within one point of whisper.cpp q8_0 on
    real clean and noisy recordings, and far from random."""
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    with WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8, num_threads=2))) as q8:
        ref = wer([(text, q8.transcribe(x).text) for _, x, text in clips])
    ours = wer([(text, ct2.transcribe(x).text) for _, x, text in clips])
    assert ours <= ref + 0.01, (ours, ref)
    assert ours < 0.15, ours


@pytest.mark.slow
def test_a_decode_does_not_depend_on_the_ones_before(ct2, clips):
    """The same utterance gives the same text after other windows and after sampled re-decodes, and a
    fresh model gives it too."""
    from edge_sdk.audio.ct2_whisper import Ct2WhisperBackend

    by = {c: x for c, x, _ in clips}
    u = ct2.utterances(by["basic-pbx-ivr-main_snr20"])[0].audio
    first = ct2.transcribe_utterance(u)
    for seconds in (16.0, 25.0):
        ct2.transcribe_utterance(by["narration"][: int(seconds * 16000)])
        assert ct2.transcribe_utterance(u) == first
    ct2.transcribe_utterance(np.random.default_rng(1).standard_normal(3 * 16000).astype(np.float32) * 0.3)
    assert ct2.transcribe_utterance(u) == first
    with Ct2WhisperBackend(AsrOptions(asset=ModelAsset(CT2, num_threads=1))) as fresh:
        assert fresh.transcribe_utterance(u) == first


def test_sixty_seconds_of_noise_hum_silence_and_chords_give_no_text(ct2):
    from conversion.speech_corpus import _read16k, non_speech_clips

    for wav in non_speech_clips():
        assert ct2.transcribe(_read16k(wav)).text == "", wav.name
    noise = (0.1 * np.random.default_rng(0).standard_normal(5 * 16000)).astype(np.float32)
    assert ct2.transcribe(noise).segments == ()


def test_an_official_ctranslate2_directory_loads_by_path(ct2, jfk16k, tmp_path: Path):
    """What a user downloads (model.bin, config.json, vocabulary.txt): the same text as the manifest model."""
    from edge_sdk.audio.ct2_whisper import Ct2WhisperBackend
    from edge_sdk.models import resolve_model

    src = resolve_model(CT2).path.parent
    user = tmp_path / "faster-whisper-tiny.en"
    shutil.copytree(src, user)
    with Ct2WhisperBackend(AsrOptions(asset=ModelAsset(str(user), num_threads=2))) as b:
        assert b.describe()["model"] == "model.bin"
        assert b.transcribe(jfk16k).text == ct2.transcribe(jfk16k).text


def test_bad_model_directories_raise_typed_errors_before_ctranslate2(tmp_path: Path):
    from edge_sdk.audio.ct2_whisper import Ct2WhisperBackend
    from edge_sdk.models import resolve_model

    src = resolve_model(CT2).path.parent
    good = (src / "model.bin").read_bytes()

    def variant(name: str, model: bytes | None = None, drop: str | None = None, vocab: bytes | None = None) -> Path:
        d = tmp_path / name
        shutil.copytree(src, d)
        if model is not None:
            (d / "model.bin").write_bytes(model)
        if drop:
            (d / drop).unlink()
        if vocab is not None:
            (d / "vocabulary.txt").write_bytes(vocab)
        return d

    cases = [
        (variant("truncated", good[: len(good) // 2]), "truncated"),
        (variant("trailing", good + b"\0" * 64), "trailing"),
        (variant("no_vocab", drop="vocabulary.txt"), "vocabulary.txt"),
        (variant("short_vocab", vocab=b"a\nb\n"), "vocabulary entries"),
        (variant("garbage", b"\x06\x00\x00\x00" + bytes(range(256)) * 64), "CTranslate2"),
    ]
    for d, match in cases:
        with pytest.raises(ModelIntegrityError, match=match):
            Ct2WhisperBackend(AsrOptions(asset=ModelAsset(str(d))))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        Ct2WhisperBackend(AsrOptions(asset=ModelAsset(str(src), sha256="0" * 64)))
    with pytest.raises(ModelNotFoundError):
        Ct2WhisperBackend(AsrOptions(asset=ModelAsset("faster-whisper-tiny.en")))  # a hub name is never downloaded
    with pytest.raises(EdgeSdkError, match="English-only"):
        Ct2WhisperBackend(AsrOptions(asset=ModelAsset(CT2), language="de"))


def test_a_changed_sidecar_fails_the_manifest_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from edge_sdk.audio.ct2_whisper import Ct2WhisperBackend
    from edge_sdk.models import resolve_model

    src = resolve_model(CT2).path.parent
    cache = tmp_path / "cache"
    shutil.copytree(src, cache / "models" / CT2)
    cfg = cache / "models" / CT2 / "config.json"
    cfg.write_text(cfg.read_text().replace("50256", "50255", 1))
    monkeypatch.setenv("EDGE_SDK_CACHE", str(cache))
    with pytest.raises(ModelIntegrityError, match="config.json: sha256"):
        Ct2WhisperBackend(AsrOptions(asset=ModelAsset(CT2)))
    # `models verify` checks the directory's other files too, not only model.bin
    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "models", "verify", CT2], capture_output=True, text=True)
    assert r.returncode == 1 and "FAILED" in r.stdout and "config.json: sha256" in r.stdout, r.stdout + r.stderr
