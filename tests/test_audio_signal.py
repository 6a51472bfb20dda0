"""Audio validation, resampling and VAD on real speech (jfk.wav) and synthetic non-speech."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from edge_sdk.audio.signal import SAMPLE_RATE, read_wav, resample, to_mono_16k
from edge_sdk.audio.vad import VadOptions, VoiceActivityDetector, find_utterances, merge_utterances
from edge_sdk.errors import AudioFormatError

ENERGY = VadOptions(method="energy")  # the energy VAD's own behaviour (Silero: tests/test_vad.py)


@pytest.fixture(scope="module")
def jfk(media: Path) -> np.ndarray:
    samples, rate = read_wav(media / "jfk.wav")
    assert rate == 16000 and samples.dtype == np.int16
    return to_mono_16k(samples, rate)


def test_int16_stereo_and_44k_convert_to_the_same_signal(jfk):
    pcm = np.round(jfk * 32767).astype(np.int16)
    np.testing.assert_allclose(to_mono_16k(pcm, 16000), jfk, atol=1e-4)
    stereo = np.stack([pcm, pcm], axis=1)
    np.testing.assert_allclose(to_mono_16k(stereo, 16000), jfk, atol=1e-4)
    up = resample(jfk, 16000, 44100)
    back = to_mono_16k(up, 44100)
    n = min(len(back), len(jfk))
    # band-limited round trip: the speech band survives (edges excluded)
    err = np.sqrt(np.mean((back[1000:n - 1000] - jfk[1000:n - 1000]) ** 2)) / np.sqrt(np.mean(jfk**2))
    assert err < 0.02 and abs(len(back) - len(jfk)) <= 2


def test_resampler_rejects_aliases():
    t = np.arange(44100) / 44100
    tone = lambda f: np.sin(2 * np.pi * f * t).astype(np.float32)  # noqa: E731
    rms = lambda x: float(np.sqrt(np.mean(x[1000:-1000] ** 2)) * np.sqrt(2))  # noqa: E731
    assert abs(rms(resample(tone(1000), 44100, 16000)) - 1) < 0.01
    assert rms(resample(tone(11000), 44100, 16000)) < 0.01  # above 8 kHz: must not fold back


@pytest.mark.parametrize(
    "audio, rate, match",
    [
        (np.zeros(0, np.float32), 16000, "empty"),
        (np.array([0.1, np.nan, 0.2], np.float32), 16000, "NaN"),
        (np.array([0.1, np.inf], np.float32), 16000, "NaN or inf"),
        (np.full(1000, 12000.0, np.float32), 16000, "int16"),  # int16 values passed as float
        (np.zeros((2, 16000), np.float32), 16000, "channels"),  # (channels, samples) instead of (samples, channels)
        (np.zeros((4, 4, 4), np.float32), 16000, "shape"),
        (np.array(["a", "b"]), 16000, "numeric"),
        (np.zeros(100, np.float32), 100, "sample_rate"),
        (np.zeros(100, np.float32), 16000.5, "sample_rate"),
    ],
)
def test_bad_audio_is_rejected_with_what_was_expected(audio, rate, match):
    with pytest.raises(AudioFormatError, match=match):
        to_mono_16k(audio, rate)


@pytest.mark.parametrize("channels, cut", [(1, 1), (2, 2), (2, 3)])
def test_read_wav_cut_mid_sample_or_mid_frame_is_a_typed_error(tmp_path: Path, media: Path, channels, cut):
    pcm, _ = read_wav(media / "jfk.wav")
    raw = np.repeat(pcm[:16000, None], channels, axis=1).tobytes()
    path = tmp_path / "cut.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(raw)
    data = path.read_bytes()
    path.write_bytes(data[:-cut])  # the header still announces every frame
    with pytest.raises(AudioFormatError, match="ends mid-"):
        read_wav(path)


def test_read_wav_errors(tmp_path: Path):
    with pytest.raises(AudioFormatError, match="not found"):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x00\x00\x00junkjunk")
    with pytest.raises(AudioFormatError, match="not a WAV file"):
        read_wav(tmp_path / "junk.wav")
    with wave.open(str(tmp_path / "empty.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(AudioFormatError, match="no audio"):
        read_wav(tmp_path / "empty.wav")


def test_vad_finds_the_speech_of_jfk(jfk):
    utts = find_utterances(jfk, ENERGY)
    assert 1 <= len(utts) <= 6
    # jfk.wav: speech from ~0.3 s to ~10.6 s of 11 s
    assert utts[0].start_s < 0.8 and utts[-1].end_s > 10.0
    speech = sum(u.end_s - u.start_s for u in utts)
    assert 7.0 < speech <= 11.0
    merged = merge_utterances(utts, 1.0, 20.0)
    assert len(merged) == 1 and merged[0].audio.dtype == np.float32


def test_vad_ignores_silence_hum_and_noise():
    rng = np.random.default_rng(0)
    t = np.arange(10 * SAMPLE_RATE) / SAMPLE_RATE
    cases = {
        "silence": np.zeros_like(t),
        "white noise": 0.05 * rng.standard_normal(t.size),
        "loud white noise": 0.5 * rng.standard_normal(t.size),
        "mains hum": 0.3 * np.sin(2 * np.pi * 50 * t),
        "noise bursts": np.where((t % 2) < 0.5, 0.4, 0.001) * rng.standard_normal(t.size),
    }
    for name, x in cases.items():
        assert find_utterances(np.clip(x, -1, 1).astype(np.float32), ENERGY) == [], name


def test_vad_streaming_equals_batch_and_keeps_absolute_time(jfk):
    batch = find_utterances(jfk, ENERGY, t0_s=100.0)
    vad = VoiceActivityDetector(ENERGY, t0_s=100.0)
    stream = []
    for i in range(0, len(jfk), 1600):  # 100 ms chunks, like a microphone callback
        stream += vad.push(jfk[i:i + 1600])
    stream += vad.flush()
    assert [(round(u.start_s, 3), round(u.end_s, 3)) for u in stream] == [(round(u.start_s, 3), round(u.end_s, 3)) for u in batch]
    assert 100.0 <= batch[0].start_s < 100.5


def test_vad_splits_long_speech():
    opts = VadOptions(method="energy", max_utterance_s=5.0)
    rng = np.random.default_rng(1)
    t = np.arange(12 * SAMPLE_RATE) / SAMPLE_RATE
    # a voiced-like signal: harmonic stack with syllable-rate amplitude modulation, no pauses
    voiced = sum(np.sin(2 * np.pi * f0 * k * t) / k for f0 in (190,) for k in range(1, 12))
    x = (0.1 * voiced * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) + 0.001 * rng.standard_normal(t.size)).astype(np.float32)
    x = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), x])
    utts = find_utterances(x, opts)
    assert len(utts) >= 3 and all(u.end_s - u.start_s <= 5.0 + 1e-6 for u in utts)
