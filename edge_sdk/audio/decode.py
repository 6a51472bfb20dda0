"""Read speech from files people have: PCM WAV (as stored, :func:`~edge_sdk.audio.signal.read_wav`) and, through
PyAV (FFmpeg inside the wheel), every other WAV encoding (float32/64, WAVE_FORMAT_EXTENSIBLE as ffmpeg, sox
and recorders write it), FLAC, MP3, M4A/AAC, Opus/Ogg and the soundtrack of a video file.

Compressed audio is decoded frame by frame and resampled by FFmpeg to 16 kHz mono float32 as it goes, so
memory holds the 16 kHz result only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import AudioFormatError
from .signal import SAMPLE_RATE, WavEncodingError, read_wav, wav_16k_blocks

__all__ = ["read_audio", "audio_16k_blocks", "has_audio_track"]

log = logging.getLogger("edge_sdk")

WAV_SUFFIXES = (".wav", ".wave")


def _av() -> Any:
    try:
        import av
    except ImportError as e:
        raise AudioFormatError(f"decoding compressed audio or a video's soundtrack needs `pip install av`: {e}") from e
    return av


def has_audio_track(path: str | os.PathLike) -> bool:
    """True when the (video) file has at least one audio stream FFmpeg can open; False (with a warning)
    when PyAV is not installed, so a video is still analyzed, without its soundtrack."""
    try:
        av = _av()
    except AudioFormatError as e:
        log.warning("%s: soundtrack not read (%s)", path, e)
        return False
    try:
        with av.open(str(path)) as c:
            return len(c.streams.audio) > 0
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return False


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """(samples, sample_rate) of an audio file or a video's first audio stream.

    A PCM WAV comes back as stored (int PCM, any rate, (n,) or (n, channels)); everything else as (n,)
    float32 mono at 16 kHz. Unreadable, silent-less (no audio stream), empty or non-finite input raises
    :class:`AudioFormatError`.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioFormatError(f"audio file not found: {p}")
    if p.suffix.lower() in WAV_SUFFIXES:
        try:
            return read_wav(p)
        except WavEncodingError:
            pass  # float / extensible WAV: FFmpeg reads it
    return np.concatenate(list(_decoded_16k_blocks(p))), SAMPLE_RATE


def audio_16k_blocks(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """Any audio file as 16 kHz mono float32 blocks, read as it goes (memory stays flat): PCM WAV
    through :func:`~edge_sdk.audio.signal.wav_16k_blocks`, everything else through FFmpeg."""
    p = Path(path)
    if p.suffix.lower() in WAV_SUFFIXES:
        try:
            yield from wav_16k_blocks(p)
            return
        except WavEncodingError:
            pass  # raised on opening, before any block
    yield from _decoded_16k_blocks(p)


def _decoded_16k_blocks(p: Path) -> Iterator[np.ndarray]:
    """FFmpeg's decode of the first audio stream, mixed to mono, resampled to 16 kHz float32 and clipped
    to [-1, 1], frame by frame; NaN / inf samples, or no samples at all, raise :class:`AudioFormatError`."""
    n = 0
    for x in _ffmpeg_16k(p):
        if not np.isfinite(x).all():
            raise AudioFormatError(f"{p}: audio contains NaN or inf")
        n += x.size
        yield np.clip(x, -1.0, 1.0)
    if n == 0:
        raise AudioFormatError(f"{p}: no audio samples decoded")


def _ffmpeg_16k(p: Path) -> Iterator[np.ndarray]:
    if not p.is_file():
        raise AudioFormatError(f"audio file not found: {p}")
    av = _av()
    try:
        with av.open(str(p)) as c:
            if not c.streams.audio:
                raise AudioFormatError(f"{p}: no audio stream (pass the speech with --audio FILE)")
            rs = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in c.decode(c.streams.audio[0]):
                for out in rs.resample(frame):
                    yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            for out in rs.resample(None):  # flush the resampler
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
    except av.error.FFmpegError as e:
        raise AudioFormatError(f"{p}: cannot decode audio ({e}); expected wav, flac, mp3, m4a/aac, opus/ogg or a video "
                               "with a soundtrack") from e
