"""WAV files as ffmpeg, sox and recorders write them: every encoding is read, transcripts match the
16 kHz mono original's, and only what no decoder understands is an AudioFormatError.

The files are written by sox (a real tool, not our code) from the real jfk.wav recording.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conversion.metrics import word_errors
from edge_sdk.audio.decode import audio_16k_blocks, read_audio
from edge_sdk.audio.signal import read_wav, to_mono_16k
from edge_sdk.errors import AudioFormatError

pytestmark = pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox (make system-deps installs it)")

# sox arguments -> what the header says: 24-bit and > 2 channels give WAVE_FORMAT_EXTENSIBLE (0xFFFE)
FORMATS = {
    "pcm24-48k-stereo-extensible": ["-r", "48000", "-c", "2", "-b", "24"],
    "pcm32-22k-3ch-extensible": ["-r", "22050", "-c", "3", "-b", "32"],
    "float32-16k": ["-e", "floating-point", "-b", "32"],
    "float64-44k": ["-r", "44100", "-e", "floating-point", "-b", "64"],
    "pcm8-unsigned-8k": ["-r", "8000", "-b", "8", "-e", "unsigned-integer"],
    "alaw-16k": ["-e", "a-law"],
}


@pytest.fixture(scope="module")
def original(media: Path) -> np.ndarray:
    return to_mono_16k(*read_wav(media / "jfk.wav"))


@pytest.fixture(scope="module")
def files(media: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wav")
    paths = {}
    for name, args in FORMATS.items():
        paths[name] = out / f"{name}.wav"
        subprocess.run(["sox", str(media / "jfk.wav"), *args, str(paths[name])], check=True)
    return paths


@pytest.fixture(scope="module")
def asr():
    from edge_sdk.audio.backends import open_recognizer
    from edge_sdk.config import AsrOptions

    with open_recognizer(AsrOptions()) as r:
        yield r


def test_every_encoding_decodes_to_the_same_signal(files, original):
    for name, path in files.items():
        x = to_mono_16k(*read_audio(path))
        streamed = np.concatenate(list(audio_16k_blocks(path)))
        assert abs(x.size - original.size) <= 160 and abs(streamed.size - original.size) <= 160, name
        n = min(x.size, original.size)
        corr = np.corrcoef(x[:n], original[:n])[0, 1]
        # 8 kHz / 8-bit / A-law lose the top of the spectrum and some resolution; the rest is near-exact
        assert corr >= (0.95 if "8k" in name or "alaw" in name else 0.999), (name, corr)


@pytest.mark.slow
def test_every_encoding_gives_the_originals_transcript(files, original, asr):
    want = asr.transcribe(original).text
    assert "ask not what your country can do for you" in want.lower()
    for name, path in files.items():
        got = asr.transcribe_wav(path).text
        if "8k" in name:  # telephone band: the words must survive (at most 2 of jfk's 22 words differ)
            errors, _ = word_errors(want, got)
            assert errors <= 2 and "what your country can do for you" in got.lower(), (name, got)
        else:
            assert got == want, (name, got)


def _float_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """A WAVE_FORMAT_IEEE_FLOAT (3) mono file written field by field."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt "
                     + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)
    return path


def test_non_finite_and_undecodable_wavs_are_typed_errors(tmp_path: Path, original):
    ok = _float_wav(tmp_path / "ok.wav", original[:16000])
    assert np.allclose(read_audio(ok)[0], original[:16000], atol=1e-6)
    bad = original[:16000].copy()
    bad[500] = np.nan
    with pytest.raises(AudioFormatError, match="NaN or inf"):
        read_audio(_float_wav(tmp_path / "nan.wav", bad))
    with pytest.raises(AudioFormatError, match="NaN or inf"):
        list(audio_16k_blocks(tmp_path / "nan.wav"))
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00\xff\xee\x00\x00")
    with pytest.raises(AudioFormatError):
        read_audio(junk)
