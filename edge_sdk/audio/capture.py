"""Microphone capture (sounddevice / PortAudio) into a bounded queue of timestamped chunks.

A reader thread does blocking reads of ``block_s`` from the input stream, so memory stays bounded:
when the consumer falls behind, ``overflow="drop_oldest"`` discards the oldest chunks (counted in
``dropped_s``; right for live captioning), ``"block"`` stops reading until there is room (nothing is
lost; right for replaying a recording through a virtual device). Chunk times come from the sample
count, on the clock passed as ``t0_s`` (e.g. ``EdgeAnalyzer.now()`` at start).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from .._version import install_hint
from ..errors import BackendUnavailableError, ConfigError, SourceError
from .signal import SAMPLE_RATE, to_mono_16k

__all__ = ["AudioChunk", "MicrophoneSource"]


@dataclass(frozen=True)
class AudioChunk:
    """``samples``: (n,) float32 mono 16 kHz; ``t_s``: time of its first sample."""

    t_s: float
    samples: np.ndarray


def _sounddevice() -> Any:
    try:
        import sounddevice as sd
    except OSError as e:  # the module imports, PortAudio does not load
        raise BackendUnavailableError(f"microphone capture needs the PortAudio library (apt install libportaudio2): {e}") from e
    except ImportError as e:
        raise BackendUnavailableError(f"microphone capture needs `{install_hint('asr')}` (sounddevice): {e}") from e
    return sd


class MicrophoneSource:
    """Args:
    device: PortAudio input device index or name (None = default; list with ``python -m sounddevice``).
    block_s: read size in seconds.
    max_queue_s: audio held for the consumer at most.
    overflow: ``drop_oldest`` or ``block`` (see module doc).
    t0_s: clock value of the first sample.
    clock: time source (e.g. ``EdgeAnalyzer.now``): ``t0_s`` becomes ``clock()`` when capture starts.
    duration_s: seconds of audio :meth:`chunks` delivers by default (None: until :meth:`close`).

    An :class:`~edge_sdk.audio.sources.AudioSource`: :meth:`chunks`, :meth:`close`.
    """

    def __init__(self, device: int | str | None = None, *, block_s: float = 0.1, max_queue_s: float = 10.0,
                 overflow: str = "drop_oldest", t0_s: float = 0.0, clock: Callable[[], float] | None = None,
                 duration_s: float | None = None) -> None:
        if overflow not in ("drop_oldest", "block"):
            raise ConfigError(f"overflow must be 'drop_oldest' or 'block', got {overflow!r}")
        if not 0.01 <= block_s <= 2.0 or max_queue_s < block_s:
            raise ConfigError(f"need 0.01 <= block_s <= 2 and max_queue_s >= block_s, got {block_s}, {max_queue_s}")
        sd = _sounddevice()
        self.overflow, self.t0_s, self.dropped_s, self.clock = overflow, float(t0_s), 0.0, clock
        self.duration_s = duration_s
        try:
            info = sd.query_devices(device, "input")
        except (ValueError, sd.PortAudioError) as e:
            raise SourceError(f"no audio input device {device!r}: {e}. Devices: {sd.query_devices()}") from e
        self.device_name = str(info["name"])
        self.rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device, channels=1, samplerate=SAMPLE_RATE, dtype="int16")
        except Exception:
            self.rate = int(info["default_samplerate"])  # resampled to 16 kHz per chunk
        self._block = max(1, int(round(block_s * self.rate)))
        try:
            self._stream = sd.InputStream(device=device, channels=1, samplerate=self.rate, dtype="int16", blocksize=self._block)
        except Exception as e:
            raise SourceError(f"cannot open audio input {self.device_name!r} at {self.rate} Hz: {e}") from e
        self._q: queue.Queue = queue.Queue(maxsize=max(1, int(max_queue_s / block_s)))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "MicrophoneSource":
        if self._thread is None:
            if self.clock is not None:
                self.t0_s = float(self.clock())
            self._stream.start()
            self._thread = threading.Thread(target=self._read_loop, name="edge_sdk-mic", daemon=True)
            self._thread.start()
        return self

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1) if self.overflow == "block" else self._q.put_nowait(item)
                return
            except queue.Full:
                if self.overflow == "drop_oldest":
                    try:
                        old = self._q.get_nowait()
                        if isinstance(old, AudioChunk):
                            self.dropped_s += old.samples.size / SAMPLE_RATE
                    except queue.Empty:
                        pass

    def _read_loop(self) -> None:
        n = 0
        try:
            while not self._stop.is_set():
                data, _overflowed = self._stream.read(self._block)
                chunk = to_mono_16k(np.asarray(data).reshape(-1), self.rate)
                self._put(AudioChunk(self.t0_s + n / self.rate, chunk))
                n += len(data)
        except Exception as e:  # device unplugged, stream error: hand it to the consumer
            if not self._stop.is_set():
                self._put(SourceError(f"audio input {self.device_name!r} stopped: {type(e).__name__}: {e}"))
        finally:
            self._put(None)

    def chunks(self, duration_s: float | None = None, timeout_s: float = 5.0) -> Iterator[AudioChunk]:
        """Chunks as they arrive, until ``duration_s`` of audio (None: the constructor's, else until
        :meth:`stop`). Raises :class:`SourceError` if the device fails or delivers nothing for ``timeout_s``."""
        duration_s = self.duration_s if duration_s is None else duration_s
        self.start()
        got = 0.0
        while duration_s is None or got < duration_s:
            try:
                item = self._q.get(timeout=timeout_s)
            except queue.Empty:
                raise SourceError(f"audio input {self.device_name!r} delivered nothing for {timeout_s} s") from None
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            got += item.samples.size / SAMPLE_RATE
            yield item

    def close(self) -> None:
        """Stop capturing and release the device (from any thread; idempotent)."""
        self.stop()

    def stats(self) -> dict[str, Any]:
        return {"device": self.device_name, "rate": self.rate, "dropped_s": round(self.dropped_s, 3)}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass

    def __enter__(self) -> "MicrophoneSource":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
