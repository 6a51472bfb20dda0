"""Speech-to-text with whisper.cpp (ggml f16/q8_0 models) through pywhispercpp's bindings.

Safety: the model file is resolved through the manifest (sha256) or checked as a path, and its whole
ggml layout is walked (:mod:`edge_sdk.audio.ggml_file`) before whisper.cpp opens it; a file
whisper.cpp still rejects raises :class:`ModelLoadError`. Audio is validated and converted to
16 kHz mono float32 first. No model name ever reaches pywhispercpp (that path downloads).

Speed: whisper.cpp encodes a fixed 30 s window per call. Here each call encodes only the window the
utterance needs (``audio_ctx``: 50 frames per second of audio plus a margin, rounded up to a multiple
of 256, at least 512 = 10.2 s), greedy decoding, no timestamp tokens, a token budget proportional to the duration. If that
output looks broken (hit the token budget, or a phrase repeating in a loop) the utterance is decoded
again with the full 30 s window, which is what plain whisper.cpp would have done.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._native import quiet_stderr
from .._version import install_hint
from ..config import AsrOptions
from ..errors import BackendUnavailableError, EdgeSdkError, ModelLoadError
from ..models import ResolvedModel, resolve_model
from ..results import TranscriptSegment
from ..runtime import distribution_version, usable_cpus
from .ggml_file import GgmlInfo, inspect_ggml
from .signal import SAMPLE_RATE, to_mono_16k, wav_16k_blocks
from .vad import Utterance, VoiceActivityDetector, find_utterances, merge_utterances

__all__ = ["WhisperCppBackend", "Transcript", "window_frames"]

FULL_CTX = 1500  # encoder frames of a 30 s window
CTX_PER_S = 50
# Windows are multiples of 256 frames. With other sizes whisper.cpp 1.8.5's text for an utterance
# depended on the windows of the calls before it (the same audio came out differently after a longer
# window; a fresh context gave yet another text), so results changed with what had been transcribed
# earlier. With multiples of 256 every decode depends only on its own audio (tests/test_whisper.py).
# On the real-speech corpus (43 clips, 658 s, 1 thread) buckets of 64 gave 7.13-7.19% WER, varying
# between identical passes, at 13.4-13.8x real time; buckets of 256 6.16% in both passes at 13.0-13.3x.
CTX_BUCKET = 256
# Shortest window (512 = 10.2 s): AsrOptions.min_window_frames' default, chosen on the real-speech corpus
# (device_bench/asr_bench.py --window-sweep).
MIN_CTX: int = AsrOptions.min_window_frames


def window_frames(duration_s: float, margin_s: float, minimum: int = MIN_CTX) -> int:
    """Encoder frames (``audio_ctx``) for ``duration_s`` of audio plus ``margin_s``, bucketed, >= ``minimum``."""
    need = (duration_s + margin_s) * CTX_PER_S
    return int(min(FULL_CTX, max(minimum, np.ceil(need / CTX_BUCKET) * CTX_BUCKET)))


@dataclass(frozen=True)
class Transcript:
    """Text of a recording and its segments (seconds on the caller's clock); ``audio_s`` of input
    took ``wall_s`` to transcribe; ``rtf`` = audio_s / wall_s (x real time, higher is faster)."""

    text: str
    segments: tuple[TranscriptSegment, ...]
    audio_s: float
    wall_s: float

    @property
    def rtf(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "segments": [s.to_dict() for s in self.segments], "audio_s": round(self.audio_s, 3),
                "wall_s": round(self.wall_s, 3), "rtf": round(self.rtf, 2)}


def default_threads() -> int:
    """whisper.cpp threads when none are asked for: one CPU left for capture and pose, at most 4.
    whisper.cpp's workers spin while they wait, so more threads than free CPUs is far slower, not
    a little: jfk.wav on a loaded 2-CPU VM took 16-33 s with 2 threads and 2.9-5.5 s with 1, two
    transcriptions side by side 51-77 s each with 2 threads, 5.0-9.0 s with 1
    (``python -m device_bench.concurrent_asr``, device_bench/results/concurrent_asr.json)."""
    return max(1, min(4, usable_cpus() - 1))


def _import_bindings() -> Any:
    try:
        import _pywhispercpp as pw
    except ImportError as e:
        raise BackendUnavailableError(f"speech-to-text needs `{install_hint('asr')}` (pywhispercpp==1.5.1): {e}") from e
    return pw


_LOOP = re.compile(r"(\b.{6,80}?)(?:\W*\1){2,}", re.IGNORECASE | re.DOTALL)
# A whole clause said twice in a row: seen on real speech (jfk.wav decoded after other utterances in the same
# context repeated "ask what you can do for your country"); the full-window re-decode gives it once.
_REPEAT = re.compile(r"(\b\w.{24,120}?)\W+\1\W*$", re.IGNORECASE | re.DOTALL)


def looks_broken(text: str, n_tokens: int, max_tokens: int) -> bool:
    """Decoder ran into its token budget, repeats a phrase 3+ times in a row or ends on a clause said twice."""
    return n_tokens >= max_tokens or _LOOP.search(text) is not None or _REPEAT.search(text) is not None


class WhisperCppBackend:
    """One whisper.cpp context (model weights + state). Not thread-safe: one instance per thread.

    Args:
        options: :class:`AsrOptions` (model, threads, language, VAD, window policy).
    """

    name = "whisper.cpp"

    def __init__(self, options: AsrOptions | None = None) -> None:
        self.options = options or AsrOptions()
        a = self.options.asset
        self._ctx = None
        self.model: ResolvedModel = resolve_model(a.model, expected_sha256=a.sha256)
        self.info: GgmlInfo = inspect_ggml(self.model.path)
        pw = _import_bindings()
        self._pw = pw
        self.num_threads = int(a.num_threads or default_threads())
        cparams = pw.whisper_context_default_params()
        with quiet_stderr() as err:
            ctx = pw.whisper_init_from_file_with_params(str(self.model.path), cparams)
        # pywhispercpp wraps a failed load's NULL context in a live-looking object (any call on it
        # segfaults), so whisper.cpp's own "failed to load" line is the signal.
        if ctx is None or "failed to load" in err.text:
            said = f": {err.tail(3)}" if err.tail() else ""
            raise ModelLoadError(f"whisper.cpp rejected {self.model.path} (pywhispercpp {distribution_version('pywhispercpp')}"
                                 f"){said}; rebuild it with `edge-sdk models build` or pass a whisper.cpp ggml model")
        self._ctx = ctx
        lang = self.options.language
        if lang and not self.info.multilingual and lang != "en":
            raise EdgeSdkError(f"{self.model.name} is English-only; language={lang!r} needs a multilingual model")
        self.language = lang or ("en" if not self.info.multilingual else "auto")
        self._lock = threading.Lock()
        self.retries = 0
        self.last_logprob = 0.0

    # -- one utterance ---------------------------------------------------------------------
    def _params(self, audio_ctx: int, max_tokens: int) -> Any:
        """Every decode parameter, set on every call (whisper.cpp params persist otherwise)."""
        pw = self._pw
        p = pw.whisper_full_default_params(pw.whisper_sampling_strategy.WHISPER_SAMPLING_GREEDY)
        values = dict(
            n_threads=self.num_threads, audio_ctx=audio_ctx, max_tokens=max_tokens, no_context=True,
            no_timestamps=True, single_segment=True, print_progress=False, print_realtime=False,
            print_special=False, print_timestamps=False, token_timestamps=False, translate=False,
            language=self.language, detect_language=False, suppress_blank=True, temperature=0.0,
            temperature_inc=0.2, entropy_thold=2.4, logprob_thold=-1.0, no_speech_thold=0.6,
            suppress_nst=True,
        )
        for k, v in values.items():
            setattr(p, k, v)
        p.greedy = {"best_of": 1}
        return p

    def _decode(self, audio: np.ndarray, audio_ctx: int, max_tokens: int) -> tuple[str, int, float]:
        """(text, tokens, mean log-probability of the text tokens; 0.0 when there are none)."""
        pw = self._pw
        rc = pw.whisper_full(self._ctx, self._params(audio_ctx, max_tokens), audio, audio.size)
        if rc not in (0, None):
            raise EdgeSdkError(f"whisper.cpp failed on a {audio.size / SAMPLE_RATE:.2f} s utterance (code {rc})")
        texts, tokens, logp = [], 0, []
        eot = pw.whisper_token_eot(self._ctx)
        for i in range(pw.whisper_full_n_segments(self._ctx)):
            raw = pw.whisper_full_get_segment_text(self._ctx, i)
            texts.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
            n = pw.whisper_full_n_tokens(self._ctx, i)
            tokens += n
            for j in range(n):
                if pw.whisper_full_get_token_id(self._ctx, i, j) < eot:  # text tokens only
                    logp.append(np.log(max(pw.whisper_full_get_token_p(self._ctx, i, j), 1e-6)))
        return "".join(texts).strip(), tokens, float(np.mean(logp)) if logp else 0.0

    def transcribe_utterance(self, audio16k: np.ndarray) -> str:
        """Text of one utterance (<= 30 s of 16 kHz mono float32)."""
        if self._ctx is None:
            raise EdgeSdkError("WhisperCppBackend is closed")
        audio = np.ascontiguousarray(audio16k, dtype=np.float32)
        dur = audio.size / SAMPLE_RATE
        if dur > 30.0:
            raise EdgeSdkError(f"an utterance must be <= 30 s, got {dur:.1f} s: segment it with the VAD first")
        o = self.options
        max_tokens = int(o.min_tokens + o.tokens_per_s * dur)
        with self._lock:
            if o.window == "fit":
                ctx = window_frames(dur, o.window_margin_s, o.min_window_frames)
                text, n, logp = self._decode(audio, ctx, max_tokens)
                self.last_logprob = logp
                unsure = o.retry_below_logprob is not None and logp < o.retry_below_logprob
                if ctx >= FULL_CTX or not (looks_broken(text, n, max_tokens) or unsure):
                    return text
                self.retries += 1
            text, _, self.last_logprob = self._decode(audio, FULL_CTX, 0)
            return text

    # -- whole recordings --------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE, t0_s: float = 0.0) -> Transcript:
        """Transcribe a recording of any length: validate/convert, VAD into utterances, decode each.
        Silence and noise give no segments (whisper is never run on them)."""
        start = time.perf_counter()
        x = to_mono_16k(audio, sample_rate)
        segs = []
        for u in self.utterances(x, t0_s):
            text = self.transcribe_utterance(u.audio)
            if text:
                segs.append(TranscriptSegment(u.start_s, u.end_s, text))
        return Transcript(" ".join(s.text for s in segs), tuple(segs), x.size / SAMPLE_RATE, time.perf_counter() - start)

    def transcribe_wav(self, path: str | os.PathLike, t0_s: float = 0.0) -> Transcript:
        """:meth:`transcribe` of a WAV file read, resampled and segmented block by block: the same
        utterances, with memory that stays flat however long the recording is."""
        start, o = time.perf_counter(), self.options
        vad = VoiceActivityDetector(o.vad, t0_s)
        segs: list[TranscriptSegment] = []
        held: list[Utterance] = []  # the last utterance, until the next shows whether they merge
        n = 0

        def take(utts: list[Utterance]) -> None:
            for u in utts:
                held[:] = merge_utterances(held + [u], o.merge_gap_s, o.vad.max_utterance_s)
                if len(held) == 2:
                    self._append(segs, held.pop(0))

        for block in wav_16k_blocks(path):
            n += block.size
            take(vad.push(block))
        take(vad.flush())
        for u in held:
            self._append(segs, u)
        return Transcript(" ".join(s.text for s in segs), tuple(segs), n / SAMPLE_RATE, time.perf_counter() - start)

    def _append(self, segs: list[TranscriptSegment], u: Utterance) -> None:
        text = self.transcribe_utterance(u.audio)
        if text:
            segs.append(TranscriptSegment(u.start_s, u.end_s, text))

    def utterances(self, audio16k: np.ndarray, t0_s: float = 0.0) -> list[Utterance]:
        """How :meth:`transcribe` cuts a recording: VAD utterances, neighbours <= ``merge_gap_s`` apart joined
        (each <= ``vad.max_utterance_s``)."""
        o = self.options
        return merge_utterances(find_utterances(audio16k, o.vad, t0_s), o.merge_gap_s, o.vad.max_utterance_s)

    def transcribe_plain(self, audio16k: np.ndarray) -> str:
        """What plain whisper.cpp gives (the benchmark's reference): the whole recording in one ``whisper_full``
        call with its 30 s window, seeking on its own timestamps, greedy, no VAD."""
        audio = np.ascontiguousarray(audio16k, dtype=np.float32)
        with self._lock:
            p = self._params(FULL_CTX, 0)
            p.no_timestamps, p.single_segment = False, False
            rc = self._pw.whisper_full(self._ctx, p, audio, audio.size)
            if rc not in (0, None):
                raise EdgeSdkError(f"whisper.cpp failed on {audio.size / SAMPLE_RATE:.2f} s of audio (code {rc})")
            n = self._pw.whisper_full_n_segments(self._ctx)
            texts = [self._pw.whisper_full_get_segment_text(self._ctx, i) for i in range(n)]
        return " ".join((t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)).strip() for t in texts).strip()

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name, "model": self.model.name, "model_path": str(self.model.path), "sha256": self.model.sha256,
            "ftype": self.info.ftype, "multilingual": self.info.multilingual, "language": self.language,
            "num_threads": self.num_threads, "window": self.options.window, "pywhispercpp": distribution_version("pywhispercpp"),
        }

    def close(self) -> None:
        if self._ctx is not None:
            with self._lock:
                self._pw.whisper_free(self._ctx)
                self._ctx = None

    def __enter__(self) -> "WhisperCppBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

