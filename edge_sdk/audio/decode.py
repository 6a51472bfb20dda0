"""Read speech from files people have: WAV (as stored, :func:`~edge_sdk.audio.signal.read_wav`) and, through
PyAV (FFmpeg inside the wheel), FLAC, MP3, M4A/AAC, Opus/Ogg and the soundtrack of a video file.

Compressed audio is decoded frame by frame and resampled by FFmpeg to 16 kHz mono float32 as it goes, so
memory holds the 16 kHz result only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AudioFormatError
from .signal import SAMPLE_RATE, read_wav

__all__ = ["read_audio", "has_audio_track"]

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

    WAV comes back as stored (int PCM, any rate, (n,) or (n, channels)); everything else as (n,) float32
    mono at 16 kHz. Unreadable, silent-less (no audio stream) or empty input raises :class:`AudioFormatError`.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioFormatError(f"audio file not found: {p}")
    if p.suffix.lower() in WAV_SUFFIXES:
        return read_wav(p)
    av = _av()
    parts: list[np.ndarray] = []
    try:
        with av.open(str(p)) as c:
            if not c.streams.audio:
                raise AudioFormatError(f"{p}: no audio stream (pass the speech with --audio FILE)")
            stream = c.streams.audio[0]
            rs = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in c.decode(stream):
                for out in rs.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
            for out in rs.resample(None):  # flush the resampler
                parts.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as e:
        raise AudioFormatError(f"{p}: cannot decode audio ({e}); expected wav, flac, mp3, m4a/aac, opus/ogg or a video "
                               "with a soundtrack") from e
    x = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    if x.size == 0:
        raise AudioFormatError(f"{p}: no audio samples decoded")
    return np.clip(x, -1.0, 1.0), SAMPLE_RATE
