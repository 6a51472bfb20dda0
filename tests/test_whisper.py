"""whisper.cpp speech-to-text: our CT2 -> ggml converter checked against libggml itself, transcripts
of real speech checked against their known text, and every bad input giving its typed error.

Needs the [asr] extra and the converted models (``make test`` builds them into the cache).
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
from pathlib import Path

import numpy as np
import pytest
from test_cli import run_cli

from conversion.metrics import normalize, word_errors
from edge_sdk import EdgeSdkError, ModelNotFoundError
from edge_sdk.audio.signal import read_wav, to_mono_16k
from edge_sdk.config import DEFAULT_ASR_MODEL, AsrOptions, ModelAsset
from edge_sdk.errors import AudioFormatError, ModelIntegrityError

if not os.environ.get("EDGE_SDK_REQUIRE_ASR"):  # `make test` sets it: a missing extra fails there
    pytest.importorskip("_pywhispercpp", reason="needs the [asr] extra")

Q8 = "whisper-tiny.en-q8_0"
F16 = "whisper-tiny.en-f16"


@pytest.fixture(scope="module")
def corpus():
    from conversion.fetch import speech_corpus

    return speech_corpus()


@pytest.fixture(scope="module")
def jfk16k(media: Path) -> np.ndarray:
    x, sr = read_wav(media / "jfk.wav")
    return to_mono_16k(x, sr)


@pytest.fixture(scope="module")
def q8():
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    with WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8, num_threads=2))) as b:
        yield b


def _libggml_base() -> ctypes.CDLL:
    import pywhispercpp

    libs = Path(pywhispercpp.__file__).resolve().parent.parent / "pywhispercpp.libs"
    path = (glob.glob(str(libs / "libggml-base*.so*")) or glob.glob(str(libs.parent / "libggml-base.so*")))[0]
    lib = ctypes.CDLL(path)
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_void_p]
    return lib


def test_q8_0_blocks_are_bit_exact_with_libggml():
    from conversion.fetch import whisper_ct2_dir
    from edge_sdk.convert.whisper_ggml import quantize_q8_0
    from edge_sdk.whisper_files.ct2 import read_ct2

    lib = _libggml_base()
    m = read_ct2(whisper_ct2_dir("tiny.en") / "model.bin")
    rng = np.random.default_rng(0)
    ties = (np.arange(-64, 64, dtype=np.float32) + 0.5).reshape(4, 32)  # x/d lands on .5: rounding direction matters
    arrays = [
        np.asarray(m["encoder/layer_0/ffn/linear_0/weight"], np.float32),
        np.asarray(m["decoder/embeddings/weight"][:512], np.float32),
        rng.standard_normal((8, 96)).astype(np.float32) * 1e-3,
        ties, np.zeros((2, 32), np.float32),
    ]
    for a in arrays:
        a = np.ascontiguousarray(a)
        dst = np.zeros(a.size // 32 * 34, np.uint8)
        n = lib.ggml_quantize_chunk(8, a.ctypes.data, dst.ctypes.data, 0, a.shape[0], a.shape[1], None)  # 8 = GGML_TYPE_Q8_0
        assert n == dst.size
        assert quantize_q8_0(a) == dst.tobytes(), a.shape


def test_converted_files_match_the_ggml_layout_whisper_cpp_expects():
    from edge_sdk.models import resolve_model
    from edge_sdk.whisper_files.ggml import inspect_ggml

    q, f = inspect_ggml(resolve_model(Q8).path), inspect_ggml(resolve_model(F16).path)
    assert q.hparams == f.hparams and q.hparams["n_vocab"] == 51864 and q.hparams["n_audio_layer"] == 4
    assert (q.ftype, f.ftype) == ("q8_0", "f16") and q.n_tokens == 50257 and q.n_tensors == f.n_tensors == 167
    # q8_0 for the 2-D weights, f16 for the two conv kernels, f32 for biases, norms, positional embeddings
    assert q.tensor_types == {"q8_0": 65, "f16": 2, "f32": 100} and f.tensor_types == {"f16": 67, "f32": 100}


def test_transcribes_jfk_exactly(q8, jfk16k):
    from edge_sdk.pull.samples import JFK_TEXT

    t = q8.transcribe(jfk16k)
    assert normalize(t.text) == normalize(JFK_TEXT)
    assert len(t.segments) == 1 and 0.0 <= t.segments[0].start_s < 0.6 and 10.5 < t.segments[0].end_s <= 11.01
    assert t.audio_s == pytest.approx(11.0, abs=0.01) and t.wall_s > 0


@pytest.mark.slow
def test_fitted_window_keeps_the_text_of_the_full_window(jfk16k):
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    with WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8, num_threads=2), window="full")) as full:
        ref = full.transcribe(jfk16k).text
    with WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8, num_threads=2), window="fit")) as fit:
        assert normalize(fit.transcribe(jfk16k).text) == normalize(ref)


def test_min_window_frames_is_checked_and_used():
    from edge_sdk import ConfigError
    from edge_sdk.audio.whisper_cpp import window_frames

    for bad in (0, 128, 640, 1500):
        with pytest.raises(ConfigError, match="min_window_frames"):
            AsrOptions(min_window_frames=bad)
    assert window_frames(2.0, 1.0) == 512 and window_frames(2.0, 1.0, 256) == 256 and window_frames(11.6, 1.0) == 768
    assert window_frames(40.0, 1.0, 256) == 1500


@pytest.mark.slow
def test_a_decode_does_not_depend_on_the_ones_before(q8):
    """The same utterance gives the same text after calls with longer windows (real noisy speech)."""
    from conversion.speech_corpus import _read16k, real_speech_corpus

    wavs = {w.stem: w for w, _ in real_speech_corpus(include_noisy=True)}
    u = q8.utterances(_read16k(wavs["basic-pbx-ivr-main_snr5"]))[0].audio
    longer = _read16k(wavs["narration"])
    first = q8.transcribe_utterance(u)
    for seconds in (16.0, 20.0, 25.0):
        q8.transcribe_utterance(longer[: int(seconds * 16000)])
        assert q8.transcribe_utterance(u) == first


@pytest.mark.slow
def test_q8_0_wer_no_worse_than_f16_plus_one_point(q8, corpus):
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    def corpus_wer(b) -> float:
        errs = words = 0
        for wav, text in corpus:
            x, sr = read_wav(wav)  # espeak-ng wavs are 22.05 kHz: resampled on the way in
            e, n = word_errors(text, b.transcribe(x, sr).text)
            errs, words = errs + e, words + n
        return errs / words

    with WhisperCppBackend(AsrOptions(asset=ModelAsset(F16, num_threads=2))) as f16:
        wer_f16 = corpus_wer(f16)
    wer_q8 = corpus_wer(q8)
    assert wer_q8 <= wer_f16 + 0.01, (wer_q8, wer_f16)
    assert wer_q8 < 0.35  # tiny.en on jfk + robotic espeak voices: far from random


def test_silence_and_noise_give_no_text(q8):
    rng = np.random.default_rng(0)
    silence = np.zeros(5 * 16000, np.float32)
    noise = (0.1 * rng.standard_normal(5 * 16000)).astype(np.float32)
    for audio in (silence, noise):
        t = q8.transcribe(audio)
        assert t.text == "" and t.segments == ()


def test_sixty_seconds_of_noise_hum_silence_and_chords_give_no_text(q8):
    from conversion.speech_corpus import _read16k, non_speech_clips

    for wav in non_speech_clips():
        assert q8.transcribe(_read16k(wav)).text == "", wav.name


def _recognised(ref: str, hyp: str) -> dict[str, int]:
    """Reference words found in ``hyp`` (multiset intersection after normalisation)."""
    from collections import Counter

    r, h = Counter(normalize(ref).split()), Counter(normalize(hyp).split())
    return {w: min(n, h[w]) for w, n in r.items()}


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["jfk", "asterisk_demo-echotest", "alsa_Front_Left", "vm-record-prepend_snr20"])
def test_every_word_survives_segmentation(q8, clip):
    """The default segmentation loses no word: each utterance of a recording (Silero, merged as ``transcribe``
    does) decoded by plain whisper.cpp (full 30 s window) finds every reference word that the whole clip
    decoded the same way without VAD finds. Real recordings."""
    from conversion.speech_corpus import _read16k, real_speech_corpus

    wav, text = next((w, t) for w, t in real_speech_corpus() if w.stem == clip)
    x = _read16k(wav)
    whole = _recognised(text, q8.transcribe_plain(x))
    utts = q8.utterances(x)
    assert utts and all(u.end_s - u.start_s <= 30.0 for u in utts)
    segmented = _recognised(text, " ".join(q8.transcribe_plain(u.audio) for u in utts))
    lost = {w: n - segmented[w] for w, n in whole.items() if segmented[w] < n}
    assert not lost, (clip, lost)


@pytest.mark.slow
def test_integer_stereo_and_44k_input_give_the_same_words(q8, jfk16k):
    from edge_sdk.audio.signal import resample

    pcm44 = np.round(resample(jfk16k, 16000, 44100) * 32767).astype(np.int16)
    stereo = np.stack([pcm44, pcm44], axis=1)
    assert normalize(q8.transcribe(stereo, 44100).text) == normalize(q8.transcribe(jfk16k).text)


@pytest.mark.parametrize("bad", [np.zeros(0, np.float32), np.array([np.nan] * 100, np.float32),
                                 np.full(16000, 3000.0, np.float32)])
def test_bad_audio_raises_audio_format_error(q8, bad):
    with pytest.raises(AudioFormatError):
        q8.transcribe(bad)


def test_bad_model_files_raise_typed_errors_before_whisper_cpp(tmp_path: Path):
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend
    from edge_sdk.models import resolve_model

    good = resolve_model(Q8).path.read_bytes()
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(good[: len(good) // 2])
    wrong_magic = tmp_path / "wrong_magic.bin"
    wrong_magic.write_bytes(b"GGUF" + good[4:1 << 16])
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"lmgg" + bytes(range(256)) * 16)  # right magic, nonsense after it
    for path, match in ((truncated, "truncated"), (wrong_magic, "magic"), (garbage, "not a valid whisper.cpp ggml")):
        with pytest.raises(ModelIntegrityError, match=match):
            WhisperCppBackend(AsrOptions(asset=ModelAsset(str(path))))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        WhisperCppBackend(AsrOptions(asset=ModelAsset(str(resolve_model(Q8).path), sha256="0" * 64)))
    with pytest.raises(ModelNotFoundError):
        WhisperCppBackend(AsrOptions(asset=ModelAsset("ggml-tiny.en")))  # a bare hub name is never downloaded


def test_english_only_model_rejects_other_languages():
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend

    with pytest.raises(EdgeSdkError, match="English-only"):
        WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8), language="de"))


def test_cli_transcribe_json_contract(media: Path):
    out = json.loads(run_cli("transcribe", str(media / "jfk.wav"), "--json", "--threads", "2").stdout)
    assert set(out) >= {"model", "text", "segments", "audio_s", "wall_s", "speed_x", "rtf"}
    assert out["model"] == DEFAULT_ASR_MODEL and "ask not what your country can do for you" in normalize(out["text"])
    assert out["segments"][0]["start"] < out["segments"][0]["end"] and out["speed_x"] > 0
    assert out["rtf"] == pytest.approx(out["wall_s"] / out["audio_s"], rel=0.01)  # the usual ratio: processing / audio
    r = run_cli("transcribe", str(media / "messi5.jpg"), check=False)
    assert r.returncode == 1 and "AudioFormatError" in r.stderr


@pytest.mark.slow
def test_analyzer_process_audio_streams_transcripts_into_the_timeline(jfk16k, messi, tmp_path: Path):
    from edge_sdk import AnalyzerConfig, EdgeAnalyzer

    timeline = tmp_path / "timeline.jsonl"
    cfg = AnalyzerConfig(asr=AsrOptions(asset=ModelAsset(Q8, num_threads=2)), mode="video")
    segs = []
    with EdgeAnalyzer(cfg, timeline=timeline) as a:
        a.process_frame(messi, 50.0)
        pcm = np.round(jfk16k * 32767).astype(np.int16)
        for i in range(0, pcm.size, 1600):  # 100 ms chunks on the analyzer's clock, starting at t = 50 s
            segs += a.process_audio(pcm[i:i + 1600], 50.0 + i / 16000)
        segs += a.flush_audio()
        stats = a.stats()
    assert normalize(" ".join(s.text for s in segs)).endswith("what you can do for your country")
    assert 50.0 <= segs[0].start_s < 50.6 and segs[-1].end_s <= 61.01
    kinds = [json.loads(line)["kind"] for line in timeline.read_text().splitlines()]
    assert kinds[0] == "frame" and kinds.count("transcript") == len(segs)
    assert stats["asr"]["audio_s"] == pytest.approx(11.0, abs=0.01) and stats["asr"]["speed_x"] > 0


def test_microphone_errors_are_clear():
    from edge_sdk import SourceError
    from edge_sdk.audio.capture import MicrophoneSource

    with pytest.raises(SourceError, match="no audio input device"):
        MicrophoneSource("no-such-device-here")


@pytest.mark.service
def test_listen_through_a_virtual_microphone(media: Path, tmp_path: Path):
    """ALSA's file plugin as the default capture device, replaying jfk.wav (unpaced, read in blocks)."""
    (tmp_path / ".asoundrc").write_text(
        'pcm.!default { type plug slave.pcm "replay" }\n'
        f'pcm.replay {{ type file slave.pcm "null" file "/dev/null" infile "{media / "jfk.wav"}" format "raw" }}\n'
    )
    timeline = tmp_path / "timeline.jsonl"
    env = {**os.environ, "HOME": str(tmp_path)}
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "edge_sdk.cli", "listen", "--device", "replay", "--seconds", "11",
                        "--no-drop", "--json", "--threads", "2", "--timeline", str(timeline)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    segs = [json.loads(line) for line in r.stdout.splitlines()]
    assert segs and "ask not what your country can do for you" in normalize(" ".join(s["text"] for s in segs))
    assert all(0 <= s["start"] < s["end"] for s in segs)
    events = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert [e["kind"] for e in events] == ["transcript"] * len(segs)


@pytest.mark.slow
def test_analyze_video_with_speech_track(media: Path, tmp_path: Path):
    out = tmp_path / "run"
    run_cli("analyze", str(media / "vtest.avi"), "--audio", str(media / "jfk.wav"), "--out", str(out),
            "--max-frames", "130", "--no-video", "--threads", "2")
    events = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]
    frames = [e for e in events if e["kind"] == "frame"]
    said = [e for e in events if e["kind"] == "transcript"]
    assert len(frames) == 130 and said
    assert "ask not what your country can do for you" in normalize(" ".join(e["text"] for e in said))
    assert all(0.0 <= e["start"] < e["end"] <= 11.01 for e in said)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["stats"]["asr"]["audio_s"] == pytest.approx(11.0, abs=0.05)
    assert summary["effective"]["asr"]["model"] == DEFAULT_ASR_MODEL


def _encode(path: Path, codec: str, audio: np.ndarray, frames: list | None = None) -> Path:
    """Write 16 kHz mono speech with ``codec`` (and, with ``frames``, H.264/MPEG-4 video) through PyAV."""
    import av

    with av.open(str(path), "w") as c:
        v = None
        if frames:
            v = c.add_stream("mpeg4", rate=10)
            v.width, v.height, v.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        rate = 48000 if codec == "libopus" else 16000
        a = c.add_stream(codec, rate=rate)
        a.layout = "mono"
        from edge_sdk.audio.signal import resample

        x = resample(audio, 16000, rate)
        for i in range(0, x.size, 960):
            f = av.AudioFrame.from_ndarray(x[None, i:i + 960].astype(np.float32), format="flt", layout="mono")
            f.sample_rate = rate
            for pkt in a.encode(f):
                c.mux(pkt)
        c.mux(a.encode(None))
        if v is not None:
            for img in frames:
                c.mux(v.encode(av.VideoFrame.from_ndarray(img, format="bgr24")))
            c.mux(v.encode(None))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("suffix, codec", [(".flac", "flac"), (".mp3", "libmp3lame"), (".m4a", "aac"), (".opus", "libopus")])
def test_compressed_audio_files_transcribe(jfk16k, tmp_path: Path, suffix, codec):
    """Each format decoded by a fresh context: a whisper.cpp context's output can depend on what it decoded
    before (seen after this module's other tests: 2 word errors on the mp3 instead of 0), not on the codec."""
    from edge_sdk.audio.decode import read_audio
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend
    from edge_sdk.pull.samples import JFK_TEXT

    pytest.importorskip("av")
    x, sr = read_audio(_encode(tmp_path / f"jfk{suffix}", codec, jfk16k))
    assert sr == 16000 and x.dtype == np.float32 and abs(x.size / 16000 - 11.0) < 0.1
    with WhisperCppBackend(AsrOptions(asset=ModelAsset(Q8, num_threads=2))) as fresh:
        text = fresh.transcribe(x, sr).text
    e, n = word_errors(JFK_TEXT, text)
    assert e <= 1, (suffix, e, text)


@pytest.mark.slow
def test_analyze_uses_the_videos_own_soundtrack(media: Path, tmp_path: Path, jfk16k, vtest_frames):
    pytest.importorskip("av")
    video = _encode(tmp_path / "scene.mp4", "aac", jfk16k, vtest_frames[:40])
    out = tmp_path / "run"
    run_cli("analyze", str(video), "--out", str(out), "--no-video", "--threads", "2")
    said = [json.loads(line) for line in (out / "timeline.jsonl").read_text().splitlines()]
    said = [e for e in said if e["kind"] == "transcript"]
    assert "ask not what your country can do for you" in normalize(" ".join(e["text"] for e in said))
    bad = tmp_path / "junk.mp3"
    bad.write_bytes(b"\x00" * 1000)
    r = run_cli("transcribe", str(bad), check=False)
    assert r.returncode == 1 and "AudioFormatError" in r.stderr and "cannot decode audio" in r.stderr


@pytest.mark.slow
def test_live_speech_stage_uses_early_transcripts_and_keeps_every_word(q8, jfk16k):
    """``VadOptions.for_live()``: transcripts decoded at the pause are used as the utterances' texts; a pause
    that speech follows is decoded in vain and its text never shows; the words are those of jfk.wav."""
    from edge_sdk.config import VadOptions
    from edge_sdk.stages.speech import SpeechStage

    noise = (3e-4 * np.random.default_rng(2).standard_normal(16000)).astype(np.float32)
    x = np.concatenate([jfk16k, noise])
    texts = {}
    for name, vad in (("live", VadOptions.for_live()), ("file", VadOptions())):
        stage = SpeechStage(AsrOptions(asset=ModelAsset(Q8, num_threads=2), vad=vad), backend=q8)
        segs = [s for i in range(0, x.size, 1600) for s in stage.process(x[i:i + 1600]).result]
        segs += stage.flush().result
        texts[name] = " ".join(s.text for s in segs)
        acc = stage.accounts()
        if name == "live":
            assert acc["early_used"] == acc["utterances"] == len(segs) >= 3, acc
    ref = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"
    assert normalize(texts["live"]) == normalize(texts["file"]) == ref
